"""Up next's weights learned from one person's own picks (recommender/personal.py)."""

from __future__ import annotations

import copy

import numpy as np

from recommender import catalog, personal
from recommender.catalog import PlayLog
from recommender.rank import RankConfig, Recommender
from tests.recommender.test_rank import library, playlog

IDS = np.arange(1000, 1160)          # the test library: 4 kinds x 40 tracks, 8 artists per kind


def artist_of(t: int) -> int:
    return (t - 1000) // 40 * 8 + (t - 1000) % 8


def _person(next_track, *, n_sessions=40, length=8, seed=0, albums=True):
    """Sessions that start anywhere and go on by ``next_track(rng, session)``."""
    rng = np.random.default_rng(seed)
    events = []
    for _ in range(n_sessions):
        sess = [int(rng.choice(IDS))]
        while len(sess) < length:
            sess.append(next_track(rng, sess))
        events += [(t, "finished") for t in sess]
    return library(plays=playlog(events, session_len=length), albums=albums)


def replay_person(*, window=16, **kw):
    """After a session's first track this person plays what they played in their last
    two sessions or so again, in no fixed order (nothing in the sound or the artists)."""
    played: list[int] = []

    def step(rng, sess):
        if len(sess) == 1 and sess[0] not in played:
            played.extend(sess)
        pool = sorted(set(played[-window:]) - set(sess))
        t = int(rng.choice(pool)) if pool else int(rng.choice([u for u in IDS if u not in sess]))
        played.append(t)
        return t
    return _person(step, **kw)


def artist_person(*, stay=0.6, **kw):
    """After a track this person plays another by the same artist more often than not
    (``stay``), in no fixed order; otherwise one by another artist. The library has no
    album tags (each artist has one album here, so staying with the artist would be
    staying on the album, which Up next follows by default)."""
    def step(rng, sess):
        same = [int(u) for u in IDS if artist_of(int(u)) == artist_of(sess[-1]) and u not in sess]
        if same and rng.random() < stay:
            return int(rng.choice(same))
        return int(rng.choice([u for u in IDS if u not in sess and artist_of(int(u)) != artist_of(sess[-1])]))
    return _person(step, albums=False, **kw)


def _personal(cat, learned, now):
    """The ranker as the app builds it after a training run that stored ``learned``."""
    return Recommender(cat, now=now, config=RankConfig(weight_deltas=learned["upnext_weight_deltas"]))


def _mrr(rec, cat, sessions, *, k=20):
    """Mean reciprocal rank of each listened track of ``sessions`` given the ones before it."""
    rr = []
    for sess in sessions:
        for i in range(1, len(sess)):
            got = [t for t, _ in rec.up_next(sess[:i], k)]
            rr.append(1.0 / (got.index(sess[i]) + 1) if sess[i] in got else 0.0)
    return float(np.mean(rr))


def _held_out(cat, length=8):
    """The last 8 sessions as lists, and a catalogue whose plays stop before them."""
    plays = cat.plays
    last = np.unique(plays.session_id)[-8:]
    keep = ~np.isin(plays.session_id, last)
    sessions = [plays.track_id[plays.session_id == s].tolist() for s in last]
    before = library(plays=plays.subset(keep), albums=bool((cat.album >= 0).any()))
    return before, sessions, float(plays.started_at[keep].max()) + 3600


def _trained_on_offers(events, sources, *, corrected=True):
    """A catalogue over sessions of 8 ``(track, ended)`` plays with their ``sources``, and
    what the trainer learns from it (offers only: there are no picks to learn from), with
    corrections to the weights unless not ``corrected``."""
    base = playlog(events, session_len=8)
    plays = PlayLog(base.track_id, base.session_id, base.started_at, base.ms_heard, base.track_ms, base.ended,
                    np.array(sources, dtype=object))
    cat = library(plays=plays)
    learned = personal.learn_weights(cat)
    if corrected:
        assert learned["upnext_picks"] == 0 and learned["upnext_offers"] > 200
    return cat, plays, learned


def _let_up_next_play(first, offer, *, sessions=40):
    """Sessions of the person's own pick (``first()``) and seven of Up next's offers
    (``offer(session so far, last kept) -> (track, kept)``): ``(events, sources)``."""
    events, sources = [], []
    for _ in range(sessions):
        last = first()
        events.append((last, "finished"))
        sources.append("library")
        sess = {last}
        for _ in range(7):
            t, kept = offer(sess, last)
            sess.add(t)
            events.append((t, "finished" if kept else "skipped"))
            sources.append("up_next")
            if kept:
                last = t
    return events, sources


def test_a_person_who_replays_their_last_sessions_gets_fresh_tracks_pulled_up():
    cat = replay_person(n_sessions=48)
    before, sessions, now = _held_out(cat)
    learned = personal.learn_weights(before, picks=True)
    deltas = learned["upnext_weight_deltas"]
    assert learned["upnext_picks"] > 100 and learned["upnext_offers"] == 0   # no sources: picks only
    # Just played weighs against a track by default; for this person it is the best sign.
    assert deltas["fresh"] > 1.0 and deltas["fresh"] == max(deltas.values())
    plain, own = Recommender(before, now=now), _personal(before, learned, now)
    assert own.up_next_weights()["fresh"] > 0 > plain.up_next_weights()["fresh"]
    assert own.up_next_weights(personal=False) == plain.up_next_weights()
    # On sessions it never saw, the corrected Up next puts their next track higher.
    assert _mrr(own, before, sessions) > _mrr(plain, before, sessions) + 0.01


def test_a_person_who_stays_with_the_artist_gets_the_artist_pulled_up():
    cat = artist_person(n_sessions=60)
    before, sessions, now = _held_out(cat)
    learned = personal.learn_weights(before, picks=True)
    deltas = learned["upnext_weight_deltas"]
    assert deltas["artist"] > 1.0 and deltas["artist"] == max(deltas.values())
    own, plain = _personal(before, learned, now), Recommender(before, now=now)
    tail = sessions[0][0]
    def same(rec):
        return sum(artist_of(t) == artist_of(tail) for t, _ in rec.up_next([tail], 5))
    assert same(own) >= 3 and same(own) > same(plain)
    assert _mrr(own, before, sessions) > _mrr(plain, before, sessions) + 0.01


def test_little_evidence_changes_nothing():
    cat = replay_person(n_sessions=4)              # 28 picks: too few to judge a correction by
    assert personal.learn_weights(cat, picks=True) == {}
    assert personal.learn_weights(library()) == {}   # no plays at all
    # The trainer learns from Segue's offers only: a history of the person's own picks,
    # however long, leaves the defaults alone.
    assert personal.learn_weights(replay_person(n_sessions=48)) == {}
    # A run without corrections leaves the ranker on its defaults.
    rec = Recommender(cat, config=RankConfig(weight_deltas=None))
    assert rec.up_next_weights() == rec.up_next_weights(personal=False)


def test_offers_kept_and_skipped_teach_it_too():
    """Someone who only lets Up next run and wants the songs of their last sessions back:
    Segue offered every track after a session's first; they kept those they had played
    lately and skipped the new ones early. Offers are never targets, but keeps and skips
    teach the weights: Up next then offers what they have been playing."""
    rng = np.random.default_rng(3)
    events, sources, played = [], [], []
    for _ in range(40):
        sess = [int(rng.choice(IDS))]
        events.append((sess[0], "finished"))
        sources.append("library")
        for _ in range(7):
            again = rng.random() < 0.5
            pool = sorted(set(played[-16:]) - set(sess)) if again else [int(u) for u in IDS if u not in played]
            if not pool:
                again, pool = False, [int(u) for u in IDS if u not in sess]
            t = int(rng.choice(pool))
            events.append((t, "finished" if again else "skipped"))
            sources.append("up_next")
            if again:
                sess.append(t)
        played += sess
    cat, plays, learned = _trained_on_offers(events, sources)
    deltas = learned["upnext_weight_deltas"]
    assert deltas["fresh"] > 0.5 and deltas["recent"] > 0.2
    now = float(plays.started_at.max()) + 600
    own, plain = _personal(cat, learned, now), Recommender(cat, now=now)
    fresh = set(played[-16:])
    new = int(next(u for u in IDS if u not in played))
    assert sum(t in fresh for t, _ in own.up_next([new], 10)) > sum(t in fresh for t, _ in plain.up_next([new], 10))


def test_someone_who_keeps_their_artists_whatever_the_sound_gets_them_pulled_up():
    """Someone who only lets Up next run and keeps what is by eight artists they love,
    spread over every kind of sound, and skips nearly everything else early (the songs
    they start their sessions with are anything: only the keeps show the eight). How much
    they play an artist is then worth more than the default blend gives it: training
    learns a weight for it, and Up next after an unknown track they skipped offers more of
    their artists than the defaults do. (After one they kept, both stay with its artist a
    while first: the offers show this person keeps runs.)"""
    rng = np.random.default_rng(5)
    loved = {0, 3, 9, 14, 17, 22, 26, 31}         # two artists of each kind
    ours = [int(u) for u in IDS if artist_of(int(u)) in loved]
    others = [int(u) for u in IDS if artist_of(int(u)) not in loved]

    def offer(sess, last):
        t = int(rng.choice([u for u in (ours if rng.random() < 0.5 else others) if u not in sess]))
        return t, artist_of(t) in loved or rng.random() < 0.1
    cat, plays, learned = _trained_on_offers(*_let_up_next_play(lambda: int(rng.choice(IDS)), offer))
    assert learned["upnext_weight_deltas"]["artist_taste"] > 0
    now = float(plays.started_at.max()) + 600
    own, plain = _personal(cat, learned, now), Recommender(cat, now=now)
    assert plain.up_next_weights()["artist_taste"] == 0
    stranger = int(next(u for u in others if artist_of(u) == 5))
    def loved_in(rec):
        return sum(artist_of(t) in loved for t, _ in rec.up_next([stranger], 10, skipped=[stranger]))
    assert loved_in(own) > loved_in(plain)



def test_artist_stay_counts_only_offers_right_after_a_kept_track():
    """Offers that follow a kept play of the session count, as staying with its artist or
    moving on; offers after a skip, the person's own picks and a session's first play do
    not. The stay is the log-odds of keeping the one minus the other's, shrunk to 0."""
    events = [(1000, "finished"),   # the person's pick (artist 0)
              (1008, "finished"),   # offer, after a keep, artist 0 again: a stay, kept
              (1001, "skipped"),    # offer after a keep, another artist: a move, skipped
              (1016, "finished"),   # offer after a skip: not counted
              (1024, "skipped"),    # offer after a keep (1016, artist 0): a stay, skipped
              (1002, "finished"),   # offer after a skip: not counted
              (1003, "finished"),   # the person's pick: not an offer
              (1011, "finished"),   # Radio's offer after a keep (1003, artist 3), artist 3: a stay, kept
              (1012, "finished")]   # the next session's first play: nothing before it in the session
    sources = ["library", "up_next", "up_next", "up_next", "up_next", "up_next", "library", "radio", "up_next"]
    cat = library(plays=_sourced(playlog(events, session_len=8), sources))
    assert cat.artist_stays == (3, 2, 1, 0)
    # Two stays of three kept against no move kept leans towards staying, but four offers
    # are too few to tell from chance: the stay is taken half a standard error nearer 0.
    assert Recommender(cat).artist_stay == 0
    assert library(plays=playlog(events, session_len=8)).artist_stays == (0, 0, 0, 0)   # no sources


def _sourced(base, sources):
    return PlayLog(base.track_id, base.session_id, base.started_at, base.ms_heard, base.track_ms, base.ended,
                   np.array(sources, dtype=object))


def _offers_by_the_artist(p_stay_kept, p_move_kept, *, seed=7):
    """Sessions of a pick and seven offers of which one in ten stays with the artist of
    the track just kept; stays are kept with ``p_stay_kept``, moves with ``p_move_kept``.
    Returns the catalogue, one of the same plays without their sources (an imported
    history, whose offers cannot be told from picks), and a time after them."""
    rng = np.random.default_rng(seed)

    def offer(sess, last):
        stay = rng.random() < 0.1
        t = int(rng.choice([int(u) for u in IDS if u not in sess and (artist_of(int(u)) == artist_of(last)) == stay]))
        return t, rng.random() < (p_stay_kept if stay else p_move_kept)
    events, sources = _let_up_next_play(lambda: int(rng.choice(IDS)), offer)
    base = playlog(events, session_len=8)
    return (library(plays=_sourced(base, sources), albums=False), library(plays=base, albums=False),
            float(base.started_at.max()) + 600)


def test_someone_who_keeps_the_artist_they_are_hearing_gets_runs_of_it():
    """Someone who only lets Up next run, keeps nearly every offer by the artist they are
    listening to and few others. Segue seldom offered such runs, so their moves show few;
    what they kept of the offers shows the habit at once, and Up next offers runs."""
    cat, unsourced, now = _offers_by_the_artist(0.9, 0.3)
    own, plain = Recommender(cat, now=now), Recommender(unsourced, now=now)
    assert own.artist_stay > 0.5 and plain.artist_stay == 0
    assert plain.artist_run < 0.25                  # their own moves: few runs
    tail = int(IDS[5])

    def same(rec):
        return sum(artist_of(t) == artist_of(tail) for t, _ in rec.up_next([tail], 5))
    assert same(own) >= 3 and same(own) > same(plain)
    # The trainer records it with its counts, for the window's summary of what it learned.
    learned = personal.learn_weights(cat)
    assert learned["upnext_artist_stay"] == round(own.artist_stay, 4)
    assert learned["upnext_stay_offers"] == cat.artist_stays[0] > 0


def test_someone_who_skips_the_artist_they_just_heard_is_left_alone():
    """The other way round, kept moves and skipped stays, is no reason for fewer runs than
    the defaults give (they are few already): Up next is what it is without the offers."""
    cat, _, now = _offers_by_the_artist(0.2, 0.6)
    uncounted = copy.copy(cat)
    uncounted.artist_stays = (0, 0, 0, 0)
    away, plain = Recommender(cat, now=now), Recommender(uncounted, now=now)
    assert away.artist_stay < 0 and plain.artist_stay == 0
    assert away.up_next([int(IDS[5])], 10) == plain.up_next([int(IDS[5])], 10)


def test_chosen_artists_count_what_the_person_picked_themselves_here():
    """Listened plays the person picked (library, queue) count for their artist; Segue's
    offers, early skips and rows imported from another player do not. The offered share is
    of the plays heard here, listened or skipped early."""
    events = [(1000, "finished"),   # library: artist 0, counted
              (1008, "finished"),   # Up next's offer (artist 0): not a pick
              (1001, "skipped"),    # the person's pick, skipped early: not counted
              (1016, "finished"),   # their queue: artist 0, counted
              (1009, "finished"),   # imported from another player: not heard here
              (1002, "skipped"),    # Radio's offer, skipped
              (1040, "finished"),   # Discover's offer
              (1041, "finished")]   # library: artist 9, counted
    sources = ["library", "up_next", "library", "queue", "import", "radio", "discover", "library"]
    cat = library(plays=_sourced(playlog(events, session_len=8), sources))
    counts = dict(zip(cat.track_ids.tolist(), cat.chosen_artist_plays.tolist()))
    assert counts[1000] == counts[1008] == counts[1024] == 2      # every track of artist 0
    assert counts[1041] == 1 and counts[1001] == 0 and counts[1040] == 0
    assert cat.offered_share == 3 / 7
    plain = library(plays=playlog(events, session_len=8))        # no sources: nothing is known
    assert plain.offered_share == 0 and not plain.chosen_artist_plays.any()


LOVED = (1, 9, 17, 25)


def _picks_loved_artists(*, seed=3):
    """Sessions that start with the person's own pick of a song by one of four loved
    artists (one of each kind), then seven of Up next's offers from anywhere, each kept
    half the time whoever it is by: what they keep says nothing of the loved artists, what
    they pick does. Returns the catalogue, the same plays without sources, and a time."""
    rng = np.random.default_rng(seed)
    loved = [int(u) for u in IDS if artist_of(int(u)) in LOVED]
    events, sources = _let_up_next_play(lambda: int(rng.choice(loved)),
                                        lambda sess, last: (int(rng.choice([u for u in IDS if u not in sess])),
                                                            rng.random() < 0.5))
    base = playlog(events, session_len=8)
    return (library(plays=_sourced(base, sources), albums=False), library(plays=base, albums=False),
            float(base.started_at.max()) + 600)


def test_someone_who_lets_up_next_play_gets_the_artists_they_pick_themselves():
    """After a song by an artist they never picked, Up next leads with the four they start
    their sessions with; the same plays without sources (every play a pick) do not."""
    cat, unsourced, now = _picks_loved_artists()
    assert cat.offered_share == 7 / 8
    own, plain = Recommender(cat, now=now), Recommender(unsourced, now=now)
    stranger = int(next(u for u in IDS if artist_of(int(u)) == 4))

    def loved_in(rec, k=10):
        return sum(artist_of(t) in LOVED for t, _ in rec.up_next([stranger], k))
    assert loved_in(own) >= 4 and loved_in(own) > loved_in(plain) + 1


def test_someone_who_picks_everything_themselves_is_left_as_they_were():
    """For someone whose every play is their own pick, the artists they pick are simply the
    artists they play, which the taste already holds: Up next is what it is without sources."""
    cat, unsourced, now = _picks_loved_artists()
    base = cat.plays
    everything = library(plays=_sourced(base, ["library"] * len(base)), albums=False)
    assert everything.offered_share == 0
    stranger = int(next(u for u in IDS if artist_of(int(u)) == 4))
    assert Recommender(everything, now=now).up_next([stranger], 10) == Recommender(unsourced, now=now).up_next(
        [stranger], 10)


def test_the_artist_picked_to_start_a_session_comes_back_in_it():
    """A session the person started with their own pick of a loved artist and let Up next
    go on from: that artist returns in the next few offers, sooner than when the same song
    had been Up next's offer."""
    cat, _, _ = _picks_loved_artists()
    p = cat.plays
    stranger = int(next(u for u in IDS if artist_of(int(u)) == 4))
    t0 = float(p.started_at.max()) + 8 * 3600

    def again(first, source):
        now = PlayLog(np.array([first, stranger]), np.full(2, p.session_id.max() + 1), np.array([t0, t0 + 240]),
                      np.full(2, 2e5), np.full(2, 2e5), np.array(["finished"] * 2, dtype=object),
                      np.array([source, "up_next"], dtype=object))
        rec = Recommender(library(plays=p.concat(now), albums=False), now=t0 + 480)
        return sum(artist_of(t) == artist_of(first) for t, _ in rec.up_next([first, stranger], 4))
    firsts = [int(next(u for u in IDS if artist_of(int(u)) == a)) for a in LOVED]
    picked, offered = [again(f, "library") for f in firsts], [again(f, "up_next") for f in firsts]
    assert all(a >= b for a, b in zip(picked, offered)) and sum(picked) >= sum(offered) + 3

    def playing(first, source):
        """The pick is still playing (its play not ended) while Up next fills the queue."""
        now = PlayLog(np.array([first]), np.array([p.session_id.max() + 1]), np.array([t0]), np.zeros(1),
                      np.full(1, 2e5), np.array([None], dtype=object), np.array([source], dtype=object))
        rec = Recommender(library(plays=p.concat(now), albums=False), now=t0 + 60)
        return sum(artist_of(t) == artist_of(first) for t, _ in rec.up_next([first], 6))
    picked, offered = [playing(f, "library") for f in firsts], [playing(f, "up_next") for f in firsts]
    assert all(a >= b for a, b in zip(picked, offered)) and sum(picked) >= sum(offered) + 3


def test_the_reason_names_the_artists_picked_by_hand_only_when_they_were():
    cat, unsourced, now = _picks_loved_artists()
    loved = next(u for u in IDS if artist_of(int(u)) == LOVED[0])
    n = int(cat.chosen_artist_plays[cat.row(int(loved))])
    name = cat.artist_names[cat.artist[cat.row(int(loved))]]
    assert n >= 2 and f"you put on {name} yourself {n} times" in Recommender(cat, now=now).explain(int(loved))
    assert "yourself" not in Recommender(unsourced, now=now).explain(int(loved))


def test_the_offered_share_follows_how_the_person_listens_lately():
    """Two hundred songs picked by hand, then a pick and seven of Up next's songs at a
    time: the share that sets the pull is of the latest plays, so the new habit counts in
    full, not diluted by the old one."""
    n = catalog.SHARE_PLAYS
    events = [(int(IDS[i % len(IDS)]), "finished") for i in range(200 + n)]
    sources = ["library"] * 200 + ["library" if i % 8 == 0 else "up_next" for i in range(n)]
    cat = library(plays=_sourced(playlog(events, session_len=8), sources))
    offered = sum(s == "up_next" for s in sources)
    assert cat.offered_share == offered / n > offered / len(sources)


def test_replay_answers_count_offers_of_what_the_person_heard_lately():
    """An offer of a track the person listened to within four days before it is a replay
    (a skip of it does not make it one); picks and plays without sources count for nothing."""
    events = [(1000, "finished"),   # the person's pick
              (1001, "finished"),   # offer, new, kept
              (1000, "skipped"),    # offer of the pick: a replay, skipped
              (1002, "skipped"),    # offer, new, skipped
              (1003, "finished"),   # the person's pick
              (1003, "finished"),   # offer of what was just heard: a replay, kept
              (1002, "finished"),   # offer: 1002 was only skipped before, so new; kept
              (1001, "skipped")]    # offer of 1001, heard before: a replay, skipped
    sources = ["library", "up_next", "up_next", "up_next", "library", "up_next", "radio", "up_next"]
    base = playlog(events, session_len=8)
    assert library(plays=_sourced(base, sources)).replay_answers == (3, 1, 3, 2)
    later = copy.copy(base)
    later.started_at = base.started_at + np.where(np.arange(len(events)) == 7, 5 * 86400.0, 0.0)
    assert library(plays=_sourced(later, sources)).replay_answers == (2, 1, 4, 2)   # 1001 five days on: new
    assert library(plays=base).replay_answers == (0, 0, 0, 0)


def _answers_replays(p_replay_kept, p_new_kept, *, seed=5):
    """Sessions two days apart of a pick and seven offers, four in ten of a track heard in
    the session before (a replay), kept with ``p_replay_kept``; the rest of tracks not heard
    for two sessions, kept with ``p_new_kept``. Returns the catalogue, the same with its
    replay counts zeroed, a time after the plays, and the tracks heard in the last session."""
    rng = np.random.default_rng(seed)
    heard: list[set] = [set()]

    def first():
        heard.append(set())
        t = int(rng.choice(IDS))
        heard[-1].add(t)
        return t

    def offer(sess, last):
        lately = heard[-2] - sess
        replay = bool(lately) and rng.random() < 0.4
        pool = sorted(lately) if replay else [int(u) for u in IDS if u not in heard[-2] | heard[-3:][0] | sess]
        t = int(rng.choice(pool))
        kept = rng.random() < (p_replay_kept if replay else p_new_kept)
        if kept:
            heard[-1].add(t)
        return t, kept
    events, sources = _let_up_next_play(first, offer, sessions=30)
    base = playlog(events, session_len=8)
    base.started_at = base.started_at + 2 * 86400.0 * base.session_id
    cat = library(plays=_sourced(base, sources), albums=False)
    uncounted = copy.copy(cat)
    uncounted.replay_answers = (0, 0, 0, 0)
    return cat, uncounted, float(base.started_at.max()) + 600, heard[-1]


def test_someone_who_skips_what_they_just_heard_when_offered_gets_less_of_it():
    """Someone who skips Segue's offers of songs they heard lately, and keeps most others,
    says so at once: Up next pushes what they just heard further down than the defaults."""
    cat, uncounted, now, lately = _answers_replays(0.15, 0.7)
    tired, plain = Recommender(cat, now=now), Recommender(uncounted, now=now)
    assert tired.replay_keep < -0.5 and plain.replay_keep == 0
    assert tired.up_next_weights()["fresh"] < plain.up_next_weights()["fresh"]
    tail = sorted(lately)[0]

    def replays(rec):
        return sum(t in lately for t, _ in rec.up_next([tail], 10))
    assert replays(tired) < replays(plain)


def test_someone_who_keeps_what_they_just_heard_is_left_alone():
    """Replays kept as readily as the rest are no reason to push them: Up next is what it
    is without the count."""
    cat, uncounted, now, lately = _answers_replays(0.8, 0.5)
    keen, plain = Recommender(cat, now=now), Recommender(uncounted, now=now)
    assert keen.replay_keep >= 0
    tail = sorted(lately)[0]
    assert keen.up_next([tail], 10) == plain.up_next([tail], 10)
