"""The file of plays kept at a busy close: never written over, nor removed, unread."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from player import kept_plays


def _play(track_id: int, started_at: float) -> dict:
    return {"track_id": track_id, "started_at": started_at, "play_id": None, "reopen": False}


@pytest.fixture
def unopenable(monkeypatch):
    """Reading one path fails as on Windows while another process replaces the file (a sharing
    violation: no such thing on Linux, so the read itself is made to fail, for that path only)."""
    real = kept_plays.open_regular_file
    paths = set()

    def open_regular_file(path, *args, **kwargs):
        if Path(path) in paths:
            raise PermissionError(13, "The process cannot access the file", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(kept_plays, "open_regular_file", open_regular_file)
    return paths


def test_a_kept_file_that_cannot_be_read_is_neither_written_over_nor_removed(tmp_path, unopenable):
    path = kept_plays.journal_path(tmp_path / "library.db")
    kept_plays.replace(path, [], {}, [_play(1, 100.0)], {})
    held = path.read_bytes()
    unopenable.add(path)

    # Taken for an empty file, the close's write put its own play in place of the one kept there.
    with pytest.raises(OSError):
        kept_plays.replace(path, [], {}, [_play(2, 200.0)], {})
    assert path.read_bytes() == held
    # And a player that wrote play 2 from an earlier read removed the file with play 1 in it.
    with pytest.raises(OSError):
        kept_plays.replace(path, [_play(2, 200.0)], {}, [], {})
    assert path.read_bytes() == held

    unopenable.clear()
    assert [p["track_id"] for p in kept_plays.read(path)[0]] == [1]
    # Reading to replay it is not changing it: an unopenable file is read as none, left in place.
    unopenable.add(path)
    assert kept_plays.read(path) == ([], {})
    assert path.read_bytes() == held


def test_replace_puts_a_players_plays_in_place_of_its_last_and_leaves_the_rest(tmp_path):
    # A running player keeps the file in step with what the library refuses it: what it put
    # there last goes, what is left now comes in (a play known by its identity, its end newer),
    # another player's plays and places stay, and the file goes once nothing is left.
    path = kept_plays.journal_path(tmp_path / "library.db")
    others = [_play(9, 50.0)]
    kept_plays.replace(path, [], {}, others, {7: [100.0, 50.0, None]})
    mine = [{**_play(1, 100.0), "ended": ["stopped", 1000, None, None, 101.0]}]
    kept_plays.replace(path, [], {}, mine, {3: [80.0, 100.0, None]})
    later = [{**_play(1, 100.0), "ended": ["finished", 5000, None, None, 105.0]}, _play(2, 105.0)]
    kept_plays.replace(path, mine, {3: [80.0, 100.0, None]}, later, {})

    plays, places = kept_plays.read(path)
    assert plays == others + later          # play 1 once, with its real end
    assert places == {7: [100.0, 50.0, None]}

    kept_plays.replace(path, later, {}, [], {})
    assert kept_plays.read(path) == (others, {7: [100.0, 50.0, None]})
    kept_plays.replace(path, others, {7: [100.0, 50.0, None]}, [], {})
    assert not path.exists()


def test_players_rewriting_the_file_at_once_keep_each_others_plays(tmp_path, monkeypatch):
    # The window and ``segue play`` on one busy library each rewrite the file at every tick
    # (as opened by two processes: each call opens the file anew). One that read it before
    # the other's write wrote its own over it, without the play the other had just added.
    import threading

    monkeypatch.setattr(kept_plays, "CHANGE_WAIT_S", 120.0)   # (six at once, not two: one may wait long)
    path = kept_plays.journal_path(tmp_path / "library.db")
    players, rounds = 6, 40
    start = threading.Barrier(players)
    failed = []

    def player(n: int) -> None:
        mine: list[dict] = []
        start.wait()
        try:
            for i in range(rounds):
                now = mine + [_play(n, float(i))]
                kept_plays.replace(path, mine, {}, now, {})
                mine = now
        except Exception as exc:        # (said in the main thread)
            failed.append(exc)

    threads = [threading.Thread(target=player, args=(n,)) for n in range(players)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failed
    plays, _ = kept_plays.read(path)
    assert sorted((p["track_id"], p["started_at"]) for p in plays) == [
        (n, float(i)) for n in range(players) for i in range(rounds)]


def test_a_player_stopped_mid_change_holds_up_a_change_a_bounded_time(tmp_path, monkeypatch):
    # Another player stopped while it changed the file (Ctrl+Z in the terminal of ``segue
    # play``) holds its lock: a change waited for it without end, on the GUI thread for a
    # skip. It is refused after a moment, as the disk refusing it is, and the file left as it was.
    import threading

    from segue_common.file_lock import lock

    monkeypatch.setattr(kept_plays, "CHANGE_WAIT_S", 0.2)
    path = kept_plays.journal_path(tmp_path / "library.db")
    kept_plays.replace(path, [], {}, [_play(1, 100.0)], {})
    held = path.read_bytes()
    fd = os.open(path.with_name(path.name.removesuffix(".json") + ".lock"), os.O_RDWR)
    try:
        lock(fd, wait=True)
        outcome = []

        def change() -> None:
            try:
                kept_plays.replace(path, [], {}, [_play(2, 200.0)], {})
                outcome.append("changed")
            except OSError:
                outcome.append("refused")

        changer = threading.Thread(target=change, daemon=True)
        changer.start()
        changer.join(30)
        assert outcome == ["refused"]
        assert path.read_bytes() == held
    finally:
        os.close(fd)
    kept_plays.replace(path, [], {}, [_play(2, 200.0)], {})       # free again
    assert [p["track_id"] for p in kept_plays.read(path)[0]] == [1, 2]


def test_a_refused_replacement_is_not_waited_for_by_default(tmp_path, request):
    """The GUI thread writes the file as a play is refused: where Windows refuses the
    replacement (another process has the file open), the window froze for the whole wait.
    Not waited for, it is tried again at the next tick; a wait is asked for (the close)."""
    from tests.replace_refused import busy_noted, ran_elsewhere, refused

    if ran_elsewhere(request, tmp_path):
        return
    path = kept_plays.journal_path(tmp_path / "library.db")
    kept_plays.replace(path, [], {}, [_play(1, 100.0)], {})
    held = path.read_bytes()
    with refused(path), busy_noted() as noted:
        with pytest.raises(PermissionError):
            kept_plays.replace(path, [], {}, [_play(2, 200.0)], {}, platform="win32")
        assert not noted.is_set()
        with pytest.raises(PermissionError):
            kept_plays.replace(path, [], {}, [_play(2, 200.0)], {}, platform="win32", busy_wait_s=0.05)
    assert path.read_bytes() == held


# One play in the kept file with an odd value in it (a sync tool's damaged copy, another
# Segue's, edited by hand); {song} is a song in the library, {at} a time. Python's JSON reads
# NaN, Infinity and 1e400 as numbers. What of it is written: its source, or None (left out).
ODD_PLAYS = {
    "the time already logged infinite": ('{{"track_id": {song}, "source": "library", "track_ms": 2000, '
                                         '"started_at": {at}, "logged_ms": Infinity}}', None),
    "the song infinite": ('{{"track_id": Infinity, "source": "library", "track_ms": 2000, "started_at": {at}}}',
                          None),
    "the song past SQLite": ('{{"track_id": 1{z}, "source": "library", "track_ms": 2000, "started_at": {at}}}',
                             None),
    "the start infinite": ('{{"track_id": {song}, "source": "library", "track_ms": 2000, "started_at": 1e400}}',
                           None),
    "the time heard infinite": ('{{"track_id": {song}, "source": "library", "track_ms": 2000, "started_at": {at}, '
                                '"ended": ["finished", Infinity, null, 2000, {at}]}}', None),
    "a newer Segue's source": ('{{"track_id": {song}, "source": "podcast", "track_ms": 2000, "started_at": {at}, '
                               '"ended": ["finished", 2000, null, 2000, {at}]}}', "queue"),
    "a newer Segue's ending": ('{{"track_id": {song}, "source": "library", "track_ms": 2000, "started_at": {at}, '
                               '"ended": ["paused_forever", 2000, null, 2000, {at}]}}', "library"),
    "an owner of another kind": ('{{"track_id": {song}, "source": "library", "track_ms": 2000, "started_at": {at}, '
                                 '"owner": 5, "ended": ["finished", 2000, null, 2000, {at}]}}', "library"),
    "no play": ('5', None),
}

# The file around them ({good} and {odd}: the plays), and files odd elsewhere, with a play
# of a newer Segue's: a place's song a digit int() does not read, places of another shape, a
# byte-order mark (a hand edit).
KEPT_FILE = '{{"version": 1, "plays": [{good}, {odd}], "places": {{}}}}'
NEWER = ODD_PLAYS["a newer Segue's source"][0]
ODD_PLAYS.update({
    "a place's song a superscript": (NEWER, "queue", KEPT_FILE.replace("{{}}", '{{"\u00b2": [null, 1.0, null]}}')),
    "a place's song two minus signs": (NEWER, "queue", KEPT_FILE.replace("{{}}", '{{"--5": [null, 1.0, null]}}')),
    "the places a list": (NEWER, "queue", KEPT_FILE.replace("{{}}", "[[1, 1.0]]")),
    "a byte-order mark": (NEWER, "queue", "\ufeff" + KEPT_FILE),
})


@pytest.mark.parametrize("name", ODD_PLAYS)
def test_an_odd_play_kept_at_the_last_close_is_left_out_and_the_others_written(store, tmp_path, name):
    # Its odd value raised as the player opened ("Playback is not available" at every start)
    # or closed, or set the whole file aside: the plays beside it were never written.
    import json
    import time

    from player.audio.null_engine import NullEngine
    from player.library.scanner import Scanner
    from player.playback import Player
    from tests.audiogen import write_track

    for name_ in ("one", "two"):
        write_track(tmp_path / "music", name_, seconds=2.0)
    Scanner(store).scan([str(tmp_path / "music")])
    one, two = (t["id"] for t in store.tracks())
    at = time.time() - 100
    good = ('{"track_id": %d, "source": "library", "track_ms": 2000, "started_at": %r, '
            '"ended": ["finished", 2000, null, 2000, %r]}' % (one, at, at + 2))
    odd, written, *around = ODD_PLAYS[name]
    path = kept_plays.journal_path(store.path)
    path.write_text((around or [KEPT_FILE])[0].format(good=good, odd=odd.format(song=two, at=at + 10, z="0" * 30)),
                    encoding="utf-8")
    player = Player(store, NullEngine())
    player.close()
    # Each written once, in the order kept (the rows' ids follow the order written).
    assert [p["track_id"] for p in sorted(store.plays(), key=lambda p: p["id"])] == [one] + [two] * bool(written)
    plays = {p["track_id"]: p for p in store.plays()}
    assert plays[one]["source"] == "library" and plays[one]["ended"] == "finished"
    assert (plays[two]["source"] if two in plays else None) == written
    assert not path.exists()
    # What is left out (of no shape a play or place has, or a value no play has) is set
    # aside, to be read by hand, not lost.
    aside = path.with_name(path.name + ".unreadable")
    odd_shape = name in ("no play", "a place's song a superscript", "a place's song two minus signs",
                         "the places a list")
    assert aside.exists() == (odd_shape or not written)
    if not written and not odd_shape:
        assert json.loads(aside.read_text(encoding="utf-8"))["plays"] == [json.loads(odd.format(
            song=two, at=at + 10, z="0" * 30))]


def test_a_kept_file_not_in_utf8_is_set_aside_and_the_player_opens(store):
    # Its decoding raised past the reading's guards: the player could not be made, at every
    # start ("Playback is not available"), until the file was found and removed by hand.
    from player.audio.null_engine import NullEngine
    from player.playback import Player

    path = kept_plays.journal_path(store.path)
    held = b'{"version": 1, "plays": [{"track_id": 1, "source": "library \xff"}], "places": {}}'
    path.write_bytes(held)
    Player(store, NullEngine()).close()
    assert not path.exists()
    assert path.with_name(path.name + ".unreadable").read_bytes() == held     # to be read by hand


def test_odd_plays_and_places_are_set_aside_not_lost_when_the_file_is_written_again(tmp_path, caplog):
    # Left out as the file was read, they were gone at its next write (the file removed once
    # the readable plays were written, nothing set aside): a hand edit lost what it held.
    import json

    path = kept_plays.journal_path(tmp_path / "library.db")
    aside = path.with_name(path.name + ".unreadable")
    aside.write_bytes(b"an earlier file set aside \xff")      # (kept as it is: read by hand)
    odd = ["odd hand edit", 42, 7, None, [1], "six", "seven"]
    path.write_text(json.dumps({"version": 1, "plays": [_play(1, 100.0), *odd],
                                "places": {"abc": [1.0, 2.0, None], "5": [3.0, 4.0, None]}}), encoding="utf-8")
    with caplog.at_level("ERROR", logger=kept_plays.__name__):
        assert kept_plays.read(path) == ([_play(1, 100.0)], {5: [3.0, 4.0, None]})
    assert "'seven'" in caplog.text and "'abc'" in caplog.text      # all said, not the first five
    kept_plays.replace(path, [_play(1, 100.0)], {5: [3.0, 4.0, None]}, [], {})
    assert not path.exists()
    held = aside.read_bytes()
    assert held.startswith(b"an earlier file set aside \xff")
    set_aside = json.loads(held.splitlines()[-1])
    assert set_aside["plays"] == odd and set_aside["places"] == {"abc": [1.0, 2.0, None]}

    # Odd again later (the places of another shape this time): added, the earlier kept.
    path.write_text(json.dumps({"version": 1, "plays": [_play(2, 200.0)], "places": [[1, 1.0]]}), encoding="utf-8")
    kept_plays.replace(path, [], {}, [_play(3, 300.0)], {})
    assert kept_plays.read(path) == ([_play(2, 200.0), _play(3, 300.0)], {})
    assert aside.read_bytes().startswith(held)
    assert json.loads(aside.read_bytes().splitlines()[-1]) == {"version": 1, "plays": [], "places": [[1, 1.0]]}
    kept_plays.replace(path, [], {}, [], {})                # nothing odd left: nothing added
    assert len(aside.read_bytes().splitlines()) == 3


def test_a_kept_file_set_aside_whole_keeps_an_earlier_one_set_aside(tmp_path):
    path = kept_plays.journal_path(tmp_path / "library.db")
    aside = path.with_name(path.name + ".unreadable")
    # (os.replace put it over the earlier one, and the plays set aside there were gone)
    earlier, cut_short = b'{"version": 1, "plays": ["odd"], "places": {}}\n', b'{"version": 1, "plays": [{"track_id"'
    aside.write_bytes(earlier)
    path.write_bytes(cut_short)
    assert kept_plays.read(path) == ([], {})
    assert not path.exists()
    assert aside.read_bytes() == earlier + cut_short
