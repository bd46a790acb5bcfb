"""Field queries in the library search, over a real scanned library and through the real window."""

from __future__ import annotations

import numpy as np
import pytest

from player.library.search import load_library

from player.ui.library_model import LibraryModel

# title, artist, album, genre, date
_SHELF = [("Come Together", "The Beatles", "Abbey Road", "Rock", "1969"),
          ("Something", "The Beatles", "Abbey Road", "Rock", "1969"),
          ("Help", "The Beatles", "Help!", "Rock", "1965"),
          ("So What", "Miles Davis", "Kind of Blue", "Jazz", "1959"),
          ("Part 1: Intro", "Pink Floyd", "Live at Pompeii", "Rock", "1972"),
          ("Re: Stacks", "Bon Iver", "For Emma", "Folk", "2007"),
          ("Untitled", "Nobody", "Demos", "Jazz", "")]


def _scanned(store, music):
    from mutagen.flac import FLAC

    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    for n, (title, artist, album, genre, date) in enumerate(_SHELF, 1):
        path = write_track(music / album, f"{n:02d}", fmt="flac", seconds=0.3)
        tags = FLAC(str(path))
        tags["title"], tags["artist"], tags["album"], tags["genre"] = [title], [artist], [album], [genre]
        if date:
            tags["date"] = [date]
        tags.save()
    Scanner(store).scan([str(music)])
    ids = {r["title"]: r["id"] for r in store.library_rows(["id", "title"])}
    store.rate([ids["Something"], ids["So What"]], 5)
    store.rate([ids["Help"]], 3)
    for title, times in (("Come Together", 12), ("So What", 1)):
        for _ in range(times):
            store.end_play(store.start_play(ids[title]), "finished", 300)
    store.end_play(store.start_play(ids["Help"]), "error", 0, error="file not found")   # (not a play)
    return ids


@pytest.mark.parametrize(("query", "found"), [
    ("artist:beatles", {"Come Together", "Something", "Help"}),
    ('album:"abbey road"', {"Come Together", "Something"}),
    ("genre:jazz", {"So What", "Untitled"}),
    ("year:1965-1969", {"Come Together", "Something", "Help"}),
    ("year:>=2000", {"Re: Stacks"}),
    ("year:<1970", {"Come Together", "Something", "Help", "So What"}),    # (no year: not before 1970)
    ("year:0", {"Untitled"}),
    ("rating:>=4", {"Something", "So What"}),
    ("rating:0", {"Come Together", "Part 1: Intro", "Re: Stacks", "Untitled"}),
    ("plays:>10", {"Come Together"}),
    ("plays:0", {"Something", "Help", "Part 1: Intro", "Re: Stacks", "Untitled"}),
    ("beatles -help", {"Come Together", "Something"}),
    ("rock -artist:beatles", {"Part 1: Intro"}),
    ("Part 1: Intro", {"Part 1: Intro"}),
    ("re: stacks", {"Re: Stacks"}),
    ('"so what"', {"So What"}),
    ("year:>=abc", set()),                        # (as text: no title holds it)
    ("artist:", {t[0] for t in _SHELF}),          # (still being typed: nothing left out)
])
def test_field_queries_find_what_they_say(qapp, store, tmp_path, query, found):
    _scanned(store, tmp_path / "music")
    model = LibraryModel()
    model.set_library(load_library(store))
    model.set_filter(query)
    titles = {model.index(r, 1).data() for r in range(model.rowCount())}
    assert titles == found, query


def test_a_query_that_cannot_be_read_says_why_and_a_good_one_says_nothing(qapp, store, tmp_path):
    _scanned(store, tmp_path / "music")
    model = LibraryModel()
    model.set_library(load_library(store))
    model.set_filter("year:>=abc")
    assert "is not a number" in model.filter_problem and "plain text" in model.filter_problem
    model.set_filter("year:>=1970")
    assert model.filter_problem == ""


def test_typing_a_query_in_the_window_filters_the_library_and_the_tooltip_explains(qtbot, store, make_window,
                                                                                  tmp_path):
    from PySide6.QtCore import Qt

    _scanned(store, tmp_path / "music")
    window = make_window(store, with_player=False)
    view = window.library
    qtbot.waitUntil(lambda: view.model.rowCount() == len(_SHELF), timeout=30000)
    assert "artist:" in view.search.toolTip()            # (how to use it is found where it is typed)
    view.search.setFocus()
    qtbot.keyClicks(view.search, "artist:beatles -help")
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=10000)
    assert {view.model.index(r, 1).data() for r in range(2)} == {"Come Together", "Something"}
    assert "2 of 7" in view.count.text()
    view.search.clear()
    qtbot.keyClicks(view.search, 'album:"abbey')
    qtbot.waitUntil(lambda: "quote is not closed" in view.search.toolTip(), timeout=10000)
    qtbot.keyClick(view.search, Qt.Key_QuoteDbl)
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=10000)
    assert "quote is not closed" not in view.search.toolTip()


def test_a_song_played_in_the_window_is_no_longer_never_played(qtbot, store, make_window, tmp_path):
    # The play counts are read with the library; a song played since counts too, else
    # "plays:0" went on listing the song just heard until the next scan.
    ids = _scanned(store, tmp_path / "music")
    window = make_window(store)
    view = window.library
    qtbot.keyClicks(view.search, "plays:0")
    qtbot.waitUntil(lambda: view.model.rowCount() == 5, timeout=10000)
    window.play_ids([ids["Re: Stacks"]], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == ids["Re: Stacks"], timeout=10000)
    qtbot.waitUntil(lambda: view.model.data_.numbers["plays"][view.model.data_.position(ids["Re: Stacks"])] == 1,
                    timeout=10000)
    window.pause()
    view.search.clear()
    qtbot.keyClicks(view.search, "plays:0")
    qtbot.waitUntil(lambda: view.model.rowCount() == 4, timeout=10000)
    assert "Re: Stacks" not in {view.model.index(r, 1).data() for r in range(4)}
    with qtbot.waitSignal(window.library_loaded, timeout=10000):
        window.reload_library()         # and the store counts it alike
    assert view.model.data_.numbers["plays"][view.model.data_.position(ids["Re: Stacks"])] == 1
    assert view.model.rowCount() == 4


def _hold_library_reads(monkeypatch):
    """Every library read from now on stops once it has read the store, until ``go`` is set
    (20 s at most): ``read`` is set there."""
    import threading

    from player.library.search import LibraryData

    read, go = threading.Event(), threading.Event()
    made = LibraryData.from_columns.__func__

    def held(cls, cols, naming=None, **options):
        read.set()
        assert go.wait(20)
        return made(cls, cols, naming, **options)

    monkeypatch.setattr(LibraryData, "from_columns", classmethod(held))
    return read, go


def test_a_song_started_while_the_library_is_read_stays_played(qtbot, store, make_window, tmp_path, monkeypatch):
    # The library read its counts, the song started (counted in the window), then the library
    # read before it came in: the song went back to never played, "plays:0" listed it again
    # until the next reload.
    ids = _scanned(store, tmp_path / "music")
    song = ids["Re: Stacks"]
    window = make_window(store)
    view = window.library
    qtbot.keyClicks(view.search, "plays:0")
    qtbot.waitUntil(lambda: view.model.rowCount() == 5 and window.restored, timeout=10000)
    read, go = _hold_library_reads(monkeypatch)
    window.reload_library()
    qtbot.waitUntil(read.is_set, timeout=10000)
    with qtbot.waitSignal(window.bridge.track_started, timeout=10000):
        window.play_ids([song], 0, "library")
    assert _plays_shown(window, song) == 1
    window.pause()
    with qtbot.waitSignal(window.library_loaded, timeout=10000):
        go.set()
    assert _plays_shown(window, song) == 1
    assert view.model.rowCount() == 4 and song not in view.model.visible_ids()
    monkeypatch.undo()
    assert _plays_read_again(qtbot, window, song) == 1         # (the store's count: the same)
    read, go = _hold_library_reads(monkeypatch)
    go.set()
    window.recount_plays()      # (a count read before the library shown is not taken over it)
    qtbot.waitUntil(lambda: view.model.rowCount() == 4 and _plays_shown(window, song) == 1, timeout=10000)


def _plays_shown(window, track_id: int) -> int:
    data = window.library.model.data_
    return int(data.numbers["plays"][data.position(track_id)])


def _plays_read_again(qtbot, window, track_id: int) -> int:
    with qtbot.waitSignal(window.library_loaded, timeout=10000):
        window.reload_library()
    return _plays_shown(window, track_id)


@pytest.mark.parametrize("heard", [True, False])
def test_a_song_left_playing_at_the_last_close_and_gone_on_with_is_one_play(qtbot, store, make_window, tmp_path,
                                                                          heard):
    # It goes on in its old row: counted again at its start, the window said 2 plays where
    # the store (and the next reload) said 1. Left before anything of it was heard, it was no
    # play yet, and is one once it goes on.
    ids = _scanned(store, tmp_path / "music")
    song = ids["Re: Stacks"]
    window = make_window(store)
    if not heard:
        window.player.engine.speed = 1e-3   # (its first block takes the output 23 s: nothing is heard)
    window.play_ids([song], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == song, timeout=10000)
    if heard:
        qtbot.waitUntil(lambda: window.player.position > 0.1, timeout=10000)
    window.pause()
    window.close()
    window.player.close()
    rows = [r for r in store.plays() if r["track_id"] == song]
    assert [r["ended"] for r in rows] == ["stopped"] and (rows[0]["ms_heard"] > 0) == heard

    again = make_window(store)
    qtbot.waitUntil(lambda: again.restored and again.player.cued is not None, timeout=10000)
    assert _plays_shown(again, song) == int(heard)
    with qtbot.waitSignal(again.bridge.track_started, timeout=10000):
        again.act_play.trigger()
    assert len([r for r in store.plays() if r["track_id"] == song]) == 1     # (its old row goes on)
    assert _plays_shown(again, song) == 1
    assert _plays_read_again(qtbot, again, song) == 1


def test_a_song_that_fails_as_it_plays_is_still_never_played(qtbot, store, make_window, tmp_path):
    # The store counts no failed play: counted at its start and kept, "plays:0" left out a
    # song never heard until the next reload put it back.
    ids = _scanned(store, tmp_path / "music")
    song = ids["Untitled"]
    with open(store.track(song)["path"], "wb") as f:
        f.write(b"fLaC" + b"\x00" * 500)        # damaged after the scan
    window = make_window(store)
    with qtbot.waitSignal(window.bridge.track_ended, timeout=10000,
                          check_params_cb=lambda data: data["track_id"] == song):
        window.play_ids([song], 0, "library")
    assert [r["ended"] for r in store.plays() if r["track_id"] == song] == ["error"]
    assert _plays_shown(window, song) == 0
    assert _plays_read_again(qtbot, window, song) == 0


def test_a_song_stopped_before_it_was_heard_is_still_never_played(qtbot, store, make_window, tmp_path):
    # Counted at its start, a play ended before a sound of it was heard stayed counted in the
    # window ("plays:0" left the song out) though the store counts no such play.
    ids = _scanned(store, tmp_path / "music")
    song = ids["Untitled"]
    window = make_window(store)
    window.player.engine.speed = 1e-3       # (its first block takes the output 23 s: nothing is heard)
    window.play_ids([song], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == song, timeout=10000)
    with qtbot.waitSignal(window.bridge.track_ended, timeout=10000,
                          check_params_cb=lambda data: data["track_id"] == song):
        window.player.stop()
    assert [(r["ended"], r["ms_heard"]) for r in store.plays() if r["track_id"] == song] == [("stopped", 0)]
    assert _plays_shown(window, song) == 0
    assert _plays_read_again(qtbot, window, song) == 0


def test_a_number_query_typed_key_by_key_never_empties_the_table_nor_pops_a_reason(qtbot, store, make_window,
                                                                                 tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QToolTip

    _scanned(store, tmp_path / "music")
    window = make_window(store, with_player=False)
    view = window.library
    qtbot.waitUntil(lambda: view.model.rowCount() == len(_SHELF), timeout=30000)
    view.search.setFocus()
    seen = []
    for key in "year:>=1970":
        qtbot.keyClicks(view.search, key)
        seen.append((view.search.text(), view.model.rowCount(), view.model.filter_unreadable, QToolTip.isVisible()))
    # (at "year:>" and "year:>=" the words were searched as text: no row held them; and from
    # "year:" on a reason popped up at each key, "needs a value", then "is not a number")
    assert all(rows and not unreadable and not popped for text, rows, unreadable, popped in seen[5:]), seen
    assert view.model.rowCount() == 2 and view.search.accessibleDescription() == ""
    qtbot.keyClick(view.search, Qt.Key_Backspace)
    qtbot.keyClicks(view.search, "a")
    assert view.model.filter_unreadable and "is not a number" in view.search.accessibleDescription()
    assert QToolTip.isVisible() and "is not a number" in QToolTip.text()
    assert view.search.hasFocus()                       # (a tooltip takes no focus: typing goes on)
    qtbot.keyClick(view.search, Qt.Key_Backspace)
    assert not view.model.filter_unreadable and view.search.accessibleDescription() == ""
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=5000)     # (Qt hides a tip after a moment)


def test_a_range_typed_key_by_key_never_hides_what_it_will_find(qtbot, store, make_window, tmp_path):
    # At "year:1965-1" the range read as 1-1965: the 1969 and 1972 songs the whole range finds
    # left the table for a key, and a song of 1959 it does not find came in.
    _scanned(store, tmp_path / "music")
    window = make_window(store, with_player=False)
    view = window.library
    qtbot.waitUntil(lambda: view.model.rowCount() == len(_SHELF), timeout=30000)
    view.search.setFocus()
    seen = {}
    for key in "year:1965-1972":
        qtbot.keyClicks(view.search, key)
        seen[view.search.text()] = {view.model.data_.text["title"][i] for i in view.model.visible.tolist()}
    found = {"Come Together", "Something", "Help", "Part 1: Intro"}
    assert seen["year:1965-1972"] == found
    # (from its "-" on: "year:196" is the year 196, as it is in every player that searches as one types)
    assert all(shown >= found for text, shown in seen.items() if text.startswith("year:1965-")), \
        {t: s for t, s in seen.items() if t.startswith("year:")}
    assert view.model.filter_problem == "" and not view.model.filter_unreadable


def test_plays_forgotten_are_forgotten_by_the_search_at_once(qtbot, store, make_window, tmp_path):
    # The window counted plays only as songs started: after "Forget listening history"
    # "plays:0" left out the songs played before, until the next reload found them unplayed.
    ids = _scanned(store, tmp_path / "music")
    window = make_window(store)
    view = window.library
    qtbot.keyClicks(view.search, "plays:0")
    qtbot.waitUntil(lambda: view.model.rowCount() == 5, timeout=10000)
    window.forget_history()
    qtbot.waitUntil(lambda: view.model.rowCount() == len(_SHELF), timeout=15000)
    assert _plays_shown(window, ids["Come Together"]) == 0
    assert _plays_read_again(qtbot, window, ids["Come Together"]) == 0


def test_a_field_query_typed_before_the_library_is_read_finds_in_the_library(qapp, store, tmp_path):
    # The window opens on an empty library that counts no plays: "plays:0" typed then was
    # searched as the text "plays:0", and stayed so once the library came (no row held it).
    _scanned(store, tmp_path / "music")
    model = LibraryModel()
    model.set_filter("plays:0")
    assert model.filter_unreadable
    model.set_library(load_library(store))
    assert model.rowCount() == 5 and not model.filter_unreadable and model.filter_problem == ""


def test_plays_counted_while_the_library_is_read_are_counted_once(qapp, store, tmp_path):
    # Each order of logging, reading and counting: a play the read holds is not counted twice,
    # one it misses is counted, and one whose failure it may or may not hold asks for the
    # counts again.
    from player.library.search import read_plays

    ids = _scanned(store, tmp_path / "music")
    a, b, c = ids["Something"], ids["Help"], ids["Untitled"]
    model = LibraryModel()
    model.set_library(load_library(store), model.plays_mark())
    model.set_filter("plays:0")

    in_it = store.start_play(a)               # logged before the read, its start heard after it was asked for
    mark = model.plays_mark()
    model.count_play(a, in_it)
    failed = store.start_play(c)
    model.count_play(c, failed)
    data = load_library(store)
    missed = store.start_play(b)              # logged after the read
    model.count_play(b, missed)
    store.end_play(failed, "error", 0, error="unreadable")
    model.count_play(c, failed, -1)
    assert model.set_library(data, mark)      # (its failure may be after the read: read again)
    plays = model.data_.numbers["plays"]
    assert [int(plays[model.data_.position(t)]) for t in (a, b)] == [1, 1]
    mark = model.plays_mark()
    assert not model.set_plays(*read_plays(store), mark=mark)
    assert [int(model.data_.numbers["plays"][model.data_.position(t)]) for t in (a, b, c)] == [1, 1, 0]
    assert {model.data_.text["title"][i] for i in model.visible.tolist()} == {"Part 1: Intro", "Re: Stacks", "Untitled"}
    stale = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0)
    assert not model.set_plays(*stale, mark=mark)        # (read before the library shown: not taken)
    assert int(model.data_.numbers["plays"][model.data_.position(a)]) == 1


def test_a_play_gone_on_with_while_the_library_is_read_asks_for_the_counts_again(qapp, store, tmp_path):
    # A song left before anything of it was heard is no play; gone on with in its row, it is
    # one. A read asked for before it went on may hold the row as either: taken as it was, the
    # library read before it went on showed the song never played as it played.
    from player.library.search import read_plays

    ids = _scanned(store, tmp_path / "music")
    song = ids["Something"]
    model = LibraryModel()
    model.set_library(load_library(store), model.plays_mark())
    left = store.start_play(song)
    store.end_play(left, "stopped", 0)
    mark = model.plays_mark()
    data = load_library(store)                # read before it goes on: no play of it
    assert store.resume_play(left, song) == 0
    model.count_play(song, left, again=True)
    assert model.set_library(data, mark)      # (it may or may not be in the read: read again)
    assert not model.set_plays(*read_plays(store), mark=model.plays_mark())
    assert int(model.data_.numbers["plays"][model.data_.position(song)]) == 1


def test_a_play_the_library_shown_holds_already_is_not_counted_again(qapp, store, tmp_path):
    # A song is shown when it is heard, a latency after its play is logged: a library read in
    # between holds the play, and counting its start as it was shown made it two.
    from player.library.search import read_plays

    ids = _scanned(store, tmp_path / "music")
    a, b = ids["Something"], ids["Help"]
    model = LibraryModel()
    model.set_library(load_library(store), model.plays_mark())
    held = store.start_play(a)                # logged; its start not shown yet
    model.set_library(load_library(store), model.plays_mark())
    model.count_play(a, held)                 # shown now
    assert int(model.data_.numbers["plays"][model.data_.position(a)]) == 1
    later = store.start_play(b)               # logged after the library shown was read: counted
    model.count_play(b, later)
    assert int(model.data_.numbers["plays"][model.data_.position(b)]) == 1
    assert not model.set_plays(*read_plays(store), mark=model.plays_mark())
    assert [int(model.data_.numbers["plays"][model.data_.position(t)]) for t in (a, b)] == [1, 1]


def test_plays_counted_are_kept_only_while_a_read_may_miss_them(qapp, store, tmp_path):
    # Kept for a library read out, they were let go only as a library landed: a session that
    # played for days without a reload (a count read, a failed read) kept every play.
    from player.library.search import read_plays

    ids = _scanned(store, tmp_path / "music")
    a, b = ids["Something"], ids["Help"]
    model = LibraryModel()
    model.set_library(load_library(store), model.plays_mark())
    for _ in range(3):                        # (no read out: none is kept)
        model.count_play(a, store.start_play(a))
    assert model._counted == []
    mark = model.plays_mark()
    model.count_play(b, store.start_play(b))
    assert len(model._counted) == 1
    model.set_plays(*read_plays(store), mark=mark)
    assert model._counted == []
    mark = model.plays_mark()                 # (a read that failed hands its mark back too)
    model.count_play(b, store.start_play(b))
    model.read_ended(mark)
    assert model._counted == []
    plays = model.data_.numbers["plays"]
    assert [int(plays[model.data_.position(t)]) for t in (a, b)] == [3, 2]


def test_a_field_search_shown_is_made_again_on_the_worker_after_a_reload(qtbot, store, make_window, tmp_path,
                                                                         monkeypatch):
    # Each library read came in without the column's search, and the table made it on the
    # window's thread: a twentieth to a tenth of a second at 100,000 tracks after every scan.
    import threading

    from player.library import search

    _scanned(store, tmp_path / "music")
    window = make_window(store, with_player=False)
    view = window.library
    qtbot.waitUntil(lambda: view.model.rowCount() == len(_SHELF), timeout=30000)
    made, real = [], search.ColumnSearch.__init__

    def recording(self, values):
        made.append(threading.current_thread() is threading.main_thread())
        real(self, values)

    monkeypatch.setattr(search.ColumnSearch, "__init__", recording)
    qtbot.keyClicks(view.search, "title:some -artist:davis")
    assert view.model.rowCount() == 1 and made == [True, True]     # (typed: made as the key comes)
    made.clear()
    with qtbot.waitSignal(window.library_loaded, timeout=10000):
        window.reload_library()
    assert made == [False, False]            # made again with the library, on its worker
    assert view.model.rowCount() == 1 and view.model.index(0, 1).data() == "Something"
