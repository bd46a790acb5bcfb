"""In the real window (offscreen, real SQLite, generated audio, null engine, the learning
recommender without analysis): Keep it going on a small library goes round it again once the
session has heard everything, and a song the person skipped early is not among the first to
come back."""

from __future__ import annotations

from tests.audiogen import write_track
from tests.player.ui.conftest import learning_window


def _library(store, tmp_path, n: int, artists: int) -> list[int]:
    """``n`` short songs by ``artists`` artists, one album each; their ids in scan order."""
    from player.library.scanner import Scanner

    root = tmp_path / "music"
    for i in range(n):
        a = i % artists
        write_track(root / f"album {a}", f"{i:02d}", fmt="wav", seconds=SECONDS, freq=200.0 + 20 * i,
                    tags={"title": f"Song {i + 1}", "artist": f"Artist {a}", "album": f"Album {a}",
                          "genre": "Rock", "tracknumber": str(i // artists + 1), "date": "2016"})
    Scanner(store).scan([str(root)])
    return [r["id"] for r in store.tracks()]


#: how long each song is, and how much faster than real time the null engine plays the songs
#: heard through: three eighths of a second each, the time the player has to say that a song to
#: skip began before it is over
SECONDS, SPEED = 6.0, 16.0
#: how slowly a song to skip plays until it is skipped (half of it: 12 s)
CRAWL = 0.25


def _keep_going(qtbot, store, make_window, first: int, skipped, plays: int) -> list[int]:
    """The window playing ``first`` with Keep it going on and the learning recommender; each
    song ``skipped(started)`` names (``started``: the songs begun so far, this one last) is
    skipped early as it plays. The first ``plays`` songs."""
    window, _ = learning_window(qtbot, make_window, store)
    player = window.player
    engine, started, to_skip = player.engine, [], []

    events = []

    def began(event, data):
        events.append((event, data.get("track_id"), data.get("ended")))
        if event == "track_started":
            started.append(data["track_id"])
            skip = data["track_id"] in skipped(list(started))
            if skip:
                to_skip.append(data["entry"])
            # (a song to skip crawls until it is skipped: on a slow box too, it is skipped and
            # skipped early; the others play through fast)
            engine.speed = CRAWL if skip else SPEED

    player.add_listener(began)
    window.play_ids([first], 0, "library")
    window.up_next.keep_going.setChecked(True)

    def played():
        # (Next as the player's event names the song: for that song, not one that began after it)
        while to_skip:
            player.next(to_skip.pop(0))
        return len(started) > plays             # (the ones before the latest have ended)

    try:
        qtbot.waitUntil(played, timeout=120000)
    except Exception as e:     # (say where it stood: the music stopped, or the box was slow)
        raise AssertionError((started, player.state, player.current_track_id,
                              [q.track_id for q in player.queue], events[-12:])) from e
    got = store.plays()[:plays]
    assert all(p["ended"] != "playing" for p in got)
    return [p["track_id"] for p in got]


def test_a_song_skipped_on_a_small_library_does_not_come_back_with_the_songs_heard_again(
        qtbot, store, tmp_path, make_window):
    # Once the session had heard the whole library, the fill let the older half of the session
    # back, the song skipped in it with the rest: Up next, which no longer saw it in the
    # session, offered it again in the next round as if it had been heard through, and in each
    # round after.
    library = _library(store, tmp_path, 15, 3)
    heard = _keep_going(qtbot, store, make_window, library[0], lambda h: h[2:3], 25)     # the third song
    disliked = heard[2]
    assert store.plays()[2]["ended"] == "skipped"
    assert len(set(heard)) == 15                        # the whole library went round
    again = heard[15:]
    assert len(set(again)) >= 10, heard                 # and round again, the music never stopped
    assert disliked not in again, (disliked, heard)


def test_a_small_library_mostly_skipped_does_not_go_round_the_two_songs_heard(
        qtbot, store, tmp_path, make_window):
    # The songs skipped stay out only while the ones that come back were heard a few songs ago:
    # held back for good, the two songs heard through would play one after the other.
    library = _library(store, tmp_path, 8, 2)
    heard = _keep_going(qtbot, store, make_window, library[0], lambda h: set(h[2:]) - set(h[:2]), 20)
    later = heard[10:]
    assert len(set(later)) >= 5, heard
    for song in heard[:2]:
        at = [i for i, t in enumerate(heard) if t == song]
        assert min(b - a for a, b in zip(at, at[1:])) >= 4, (song, heard)


def test_a_small_library_heard_round_and_round_comes_back_in_another_order(
        qtbot, store, tmp_path, make_window):
    # Each round of a small library came back in the order of the one before (the ranking of the
    # songs let back, alike each time): the same eight songs in the same order, again and again.
    library = _library(store, tmp_path, 8, 2)
    heard = _keep_going(qtbot, store, make_window, library[0], lambda h: (), 40)
    later = heard[8:]
    assert len(set(later)) == 8, heard                  # every song comes back, the music never stopped
    rounds = [tuple(later[i:i + 8]) for i in range(0, len(later) - 7, 8)]
    assert len(set(rounds)) == len(rounds), heard       # no round in the order of another
    for song in set(heard):
        at = [i for i, t in enumerate(heard) if t == song]
        assert min(b - a for a, b in zip(at, at[1:])) >= 4, (song, heard)
