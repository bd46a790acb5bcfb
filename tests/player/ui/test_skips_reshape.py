"""In the real window (offscreen, real SQLite, generated audio, null engine, the learning
recommender without analysis): three early skips of one artist take that artist out of the
next five Up next entries at once, while the track after the skips still plays and with no
training run; what the person queued by hand stays."""

from __future__ import annotations

import pytest

from tests.audiogen import write_track
from tests.player.ui.conftest import learning_window

CHOIR = "Stone Choir"
# (artist, album, genre, tracks): the person's favourite soundtrack, and six other artists.
ARTISTS = [(CHOIR, "Echoes OST", "Soundtrack", 8),
           ("Brass Lane", "Night Shift", "Soundtrack", 2), ("Cold Harbour", "Piers", "Soundtrack", 2),
           ("Dune Sisters", "Sand", "Folk", 2), ("Ember Trio", "Coal", "Jazz", 2),
           ("Fern Hollow", "Moss", "Folk", 2), ("Glass Arcade", "Neon", "Electronic", 2)]


@pytest.fixture
def library(store, tmp_path):
    from player.library.scanner import Scanner

    root = tmp_path / "music"
    i = 0
    for artist, album, genre, n in ARTISTS:
        for k in range(n):
            write_track(root / album, f"{k:02d}", fmt="wav", seconds=8.0, freq=200.0 + 30 * i,
                        tags={"title": f"{album} {k + 1}", "artist": artist, "album": album, "genre": genre,
                              "tracknumber": str(k + 1), "date": "2016"})
            i += 1
    Scanner(store).scan([str(root)])
    by_artist: dict[str, list[int]] = {}
    for row in store.tracks():
        by_artist.setdefault(row["artist"], []).append(row["id"])
    # Yesterday: the soundtrack heard through twice, a few other tracks between.
    t = 1_700_000_000.0
    for session in range(2):
        for track in by_artist[CHOIR][:5] + [by_artist["Dune Sisters"][session]]:
            play = store.start_play(track, source="library", track_ms=8000, now=t)
            store.end_play(play, "finished", 8000, now=t + 8)
            t += 10
        t += 3 * 3600
    return by_artist


def _three_skips(qtbot, window, x: int, y: int) -> None:
    """Early skips of what plays, then of ``x`` and ``y``, each put next before it."""
    player = window.player
    for following in (x, y, None):
        if following is not None:
            window.play_next([following])
            qtbot.waitUntil(lambda: player.queue[0].track_id == following, timeout=5000)
        playing = player.current_track_id
        window.next_track()
        qtbot.waitUntil(lambda: player.current_track_id not in (playing, None), timeout=15000)


def test_three_skips_of_one_artist_take_it_out_of_the_next_five_at_once(qtbot, store, library, make_window):
    window, _ = learning_window(qtbot, make_window, store)     # the reaction must not come from training
    player = window.player
    choir = set(library[CHOIR])
    artist_of = {t: a for a, ids in library.items() for t in ids}
    first, x, y = library[CHOIR][5], library[CHOIR][6], library[CHOIR][7]

    window.play_ids([first], 0, "library")
    qtbot.waitUntil(lambda: player.current_track_id == first, timeout=5000)
    window.up_next.keep_going.setChecked(True)
    qtbot.waitUntil(lambda: len(player.queue) >= 5, timeout=10000)
    before = [e.track_id for e in player.queue][:5]
    assert len(choir & set(before)) >= 2, [artist_of[t] for t in before]    # the soundtrack lines up
    mine = library["Ember Trio"][0]
    window.enqueue([mine])                                  # queued by hand: before the suggestions
    qtbot.waitUntil(lambda: player.queue[0].track_id == mine, timeout=5000)

    # Three early skips of the soundtrack, in a row: what plays, then two the person put next;
    # the song queued by hand plays after them.
    _three_skips(qtbot, window, x, y)
    now_playing = player.current_track_id

    def reshaped():
        shown = window.up_next.track_ids()[:5]
        return len(shown) == 5 and not choir & set(shown) and not choir & {e.track_id for e in player.queue[:5]}

    qtbot.waitUntil(reshaped, timeout=3000)
    assert player.current_track_id == now_playing            # before the next track started
    assert player.skip_streak == 3 and player.early_skips[-3:] == [first, x, y]
    assert store.last_model_run() is None                    # no training run did it
    assert now_playing == mine and not any(e.manual for e in player.queue)
    skips = [p for p in store.plays() if p["track_id"] in (first, x, y) and p["ended"] == "skipped"]
    assert len(skips) == 3 and all(p["ms_heard"] < 30_000 for p in skips)


def test_skips_the_busy_library_refused_reshape_up_next_at_once(qtbot, store, library, make_window):
    # Up next read the session's skips from the play log: where another process held the library
    # as the skips ended (an import, a scan in a terminal), their ends were kept for later and Up
    # next re-ranked without them, the artist skipped three times in a row still lined up until
    # the library took the writes. The station reads the player's own memory and reacted at once.
    import sqlite3

    from player.recommender_service import RecommenderService

    window, _ = learning_window(qtbot, make_window, store)
    player = window.player
    choir = set(library[CHOIR])
    first, x, y = library[CHOIR][5], library[CHOIR][6], library[CHOIR][7]

    # Each Up next the window asks for, with the early skips the player had made as it asked.
    service, ranked = window.provider, []

    def up_next(*args, **kwargs):
        skips, kept = len(player.early_skips), player.unsaved_plays
        got = RecommenderService.up_next(service, *args, **kwargs)
        ranked.append((skips, [r.track_id for r in got], kept))
        return got

    service.up_next = up_next

    window.play_ids([first], 0, "library")
    qtbot.waitUntil(lambda: player.current_track_id == first, timeout=5000)
    window.up_next.keep_going.setChecked(True)
    qtbot.waitUntil(lambda: len(player.queue) >= 5, timeout=10000)
    assert len(choir & {e.track_id for e in player.queue[:5]}) >= 2    # the soundtrack lines up

    writer = sqlite3.connect(store.path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")               # the library busy as the skips end
        _three_skips(qtbot, window, x, y)
        assert player.skip_streak == 3 and player.unsaved_plays >= 3
        qtbot.waitUntil(lambda: any(n == 3 for n, _, _ in ranked), timeout=10000)
        after = next(got for n, got, _ in ranked if n == 3)
        assert not choir & set(after[:5]), (after, sorted(choir))
        assert player.unsaved_plays >= 3                # (ranked before the skips were written)
    finally:
        if writer.in_transaction:
            writer.execute("ROLLBACK")
        writer.close()
    qtbot.waitUntil(lambda: player.unsaved_plays == 0, timeout=30000)
    assert [p["ended"] for p in store.plays() if p["track_id"] in (first, x, y)] == ["skipped"] * 3
    # Written, the skips are the log's: the re-rank then still moves away from the artist.
    qtbot.waitUntil(lambda: any(not kept for _, _, kept in ranked[-1:]), timeout=10000)
    assert not choir & set(ranked[-1][1][:5]), (ranked[-1], sorted(choir))


def test_a_kept_skip_written_as_up_next_reloads_the_log_counts_once(qtbot, store, library, make_window,
                                                                    monkeypatch):
    # The fill read the ends kept before the service read the play log again (which waits behind a
    # build): the library took them in between, and each skip counted twice, from the log and from
    # what the fill had read. Three skips read as six, and Up next moved further away than asked.
    import sqlite3
    import threading

    from recommender.rank import Recommender

    window, service = learning_window(qtbot, make_window, store)
    player = window.player
    first, x, y = library[CHOIR][5], library[CHOIR][6], library[CHOIR][7]
    window.play_ids([first], 0, "library")
    qtbot.waitUntil(lambda: player.current_track_id == first, timeout=5000)
    window.up_next.keep_going.setChecked(True)
    qtbot.waitUntil(lambda: len(player.queue) >= 5, timeout=10000)

    here = threading.get_ident()
    writer = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    serving, asked = service._serving, []

    def held(*args, **kwargs):
        # (this test's own ask only: the library takes the kept ends before the log is read again)
        if threading.get_ident() == here and writer.in_transaction:
            writer.execute("ROLLBACK")
            qtbot.waitUntil(lambda: player.unsaved_plays == 0, timeout=30000)
        return serving(*args, **kwargs)

    ranking = Recommender.up_next

    def up_next(rec, *args, **kwargs):
        if threading.get_ident() == here:
            asked.append((list(kwargs["skipped"]), kwargs["streak"]))
        return ranking(rec, *args, **kwargs)

    try:
        writer.execute("BEGIN IMMEDIATE")               # the library busy as the skips end
        _three_skips(qtbot, window, x, y)
        kept = player.ends_kept
        assert [end[:2] for end in kept][:3] == [(first, -1), (x, -1), (y, -1)]
        monkeypatch.setattr(service, "_serving", held)
        monkeypatch.setattr(Recommender, "up_next", up_next)
        service.up_next(list(player.session), 5, ends_kept=kept)
    finally:
        if writer.in_transaction:
            writer.execute("ROLLBACK")
        writer.close()
    assert [p["ended"] for p in store.plays() if p["track_id"] in (first, x, y)] == ["skipped"] * 3
    (skipped, streak), = asked
    assert sorted(skipped) == sorted([first, x, y]) and streak == 3, (skipped, streak)
