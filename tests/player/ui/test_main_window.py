"""The real window, offscreen: search, play, radio, Up next, Discover, keyboard."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLabel

from player.recommendations import genre_bucket, genre_title
from player.ui.queue_panel import ENTRY_ROLE
from tests.player.ui.conftest import TRACKS


def _row_of_title(window, title: str) -> int:
    model = window.model
    for row in range(model.rowCount()):
        if model.index(row, 1).data() == title:
            return row
    raise AssertionError(f"{title!r} not shown")


def _wait_playing(qtbot, window, track_id: int) -> None:
    qtbot.waitUntil(lambda: window.player.current_track_id == track_id, timeout=10000)


def test_library_loads_every_track(scanned, make_window):
    window = make_window(scanned)
    assert window.model.rowCount() == len(scanned.tracks()) == 8
    assert window.counts.text() == "8 tracks · under a minute"      # 8 songs of 3 s


def test_the_library_playing_time_reads_in_minutes_until_two_hours():
    from player.ui.main_window import _how_long

    assert [_how_long(s) for s in (20, 61, 90 * 60, 119 * 60, 2 * 3600, 1234 * 3600)] == [
        "under a minute", "1 minute", "90 minutes", "119 minutes", "2 hours", "1,234 hours"]


def test_a_rescan_that_finds_nothing_new_reloads_the_library_once(qtbot, scanned, make_window):
    # While a scan runs, the tracks read so far are shown once a second (here every
    # millisecond); reloading when it has read nothing new only reset the table, a stall
    # of a quarter of a second or more at 50,000 tracks. The reload at its end stays.
    window = make_window(scanned)
    loads = []
    window.library_loaded.connect(lambda: loads.append(1))
    window._scan_timer.setInterval(1)
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()
    qtbot.waitUntil(lambda: len(loads) >= 1, timeout=5000)
    qtbot.wait(300)
    assert len(loads) == 1 and window.model.rowCount() == 8


def test_a_reload_asked_for_while_the_first_read_runs_runs_after_it(qtbot, scanned, make_window, monkeypatch):
    # A scan that ends (or shows what it has read so far) while the library's first read
    # still runs asks for a reload; that ask was dropped, and the table kept what the first
    # read saw until something else reloaded it.
    import threading

    from player.ui import main_window

    reads, first_read, go_on = [], threading.Event(), threading.Event()
    read = main_window.load_library

    def held(store, sort_by, *more):
        reads.append(1)
        data = read(store, sort_by, *more)
        if len(reads) == 1:
            first_read.set()
            assert go_on.wait(10)
        return data

    monkeypatch.setattr(main_window, "load_library", held)
    window = make_window(scanned, wait_library=False)
    qtbot.waitUntil(first_read.is_set, timeout=10000)         # it starts once the window painted
    with scanned.transaction() as conn:             # what the scan wrote after the first read
        conn.execute("UPDATE tracks SET title = 'Granite Again' WHERE id = ?", (scanned.tracks()[0]["id"],))
    window.reload_library()
    go_on.set()
    qtbot.waitUntil(lambda: len(reads) == 2 and window.model.rowCount() == 8, timeout=10000)
    qtbot.waitUntil(lambda: "Granite Again" in [window.model.index(r, 1).data() for r in range(8)], timeout=5000)
    qtbot.wait(300)
    assert len(reads) == 2


def test_a_rescan_with_the_table_sorted_ranks_the_rows_on_the_worker(qtbot, scanned, make_window, monkeypatch):
    # With the table sorted by a column, the rows a scan brings were ranked by the window as
    # they landed: at 50,000 tracks that held it at the end of every scan. The worker that
    # reads the library ranks them; the table still shows them in order.
    import threading

    from player.library.search import LibraryData

    window = make_window(scanned)
    window.library.table.sortByColumn(1, Qt.DescendingOrder)           # by title, as a header click
    ranked = []
    rank = LibraryData.sort_key

    def noted(data, key, **kw):
        if key not in data._sort_keys:                                  # ranked now, not before
            ranked.append((key, threading.current_thread() is threading.main_thread()))
        return rank(data, key, **kw)

    monkeypatch.setattr(LibraryData, "sort_key", noted)
    loads = []
    window.library_loaded.connect(lambda: loads.append(1))
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.rescan()
    qtbot.waitUntil(lambda: len(loads) >= 1, timeout=5000)
    titles = [window.model.index(r, 1).data() for r in range(window.model.rowCount())]
    assert titles == sorted((t for _, _, t, *_ in TRACKS), key=str.casefold, reverse=True)
    # (every text column is ranked there, ready for a header click; none by the window)
    assert "title" in {key for key, _ in ranked} and not any(on_window for _, on_window in ranked)


def test_search_filters_by_title_artist_album_genre(qtbot, scanned, make_window):
    window = make_window(scanned)
    search = window.library.search
    qtbot.keyClicks(search, "granite")
    assert window.model.rowCount() == 2                       # artist
    search.clear()
    qtbot.keyClicks(search, "JAZZ")
    assert window.model.rowCount() == 3                       # genre, any case
    qtbot.keyClicks(search, " azul")
    shown = {window.model.index(r, 1).data() for r in range(window.model.rowCount())}
    assert shown == {"Walking Bass"}                          # every word must match
    search.clear()
    assert window.model.rowCount() == 8
    assert window.library.count.text() == "8 tracks"


def test_double_click_plays_and_logs_a_play(qtbot, scanned, make_window):
    window = make_window(scanned)
    table = window.library.table
    row = _row_of_title(window, "Blue Smoke")
    track_id = window.model.track_id(row)
    rect = table.visualRect(window.model.index(row, 1))
    # A real double-click is press, release, then a double-click event (QTest sends only the last).
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    _wait_playing(qtbot, window, track_id)
    qtbot.waitUntil(lambda: any(p["track_id"] == track_id for p in scanned.plays()), timeout=5000)
    play = [p for p in scanned.plays() if p["track_id"] == track_id][-1]
    assert play["source"] == "library"
    qtbot.waitUntil(lambda: window.transport.title.text() == "Blue Smoke", timeout=5000)
    assert "Quartet Nine" in window.transport.subtitle.text()
    # The rest of the visible list is queued after it, in view order.
    expected = [window.model.track_id(r) for r in range(row + 1, window.model.rowCount())]
    assert [e.track_id for e in window.player.queue] == expected
    qtbot.waitUntil(lambda: window.up_next.track_ids() == expected, timeout=5000)   # via a queued signal


def test_search_then_enter_plays_with_source_search(qtbot, scanned, make_window):
    window = make_window(scanned)
    qtbot.keyClicks(window.library.search, "river song")
    qtbot.keyClick(window.library.search, Qt.Key_Return)
    track_id = window.model.track_id(0)
    _wait_playing(qtbot, window, track_id)
    qtbot.waitUntil(lambda: any(p["track_id"] == track_id for p in scanned.plays()), timeout=5000)
    assert scanned.plays()[-1]["source"] == "search"


def test_context_menu_radio_fills_the_queue(qtbot, scanned, make_window):
    window = make_window(scanned)
    row = _row_of_title(window, "Stone Road")
    seed = window.model.track_id(row)
    pos = window.library.table.visualRect(window.model.index(row, 1)).center()
    window.library._menu(pos)
    action = next(a for a in window.library.last_menu.actions() if a.text() == "Start radio from this song")
    window.library.last_menu.close()
    action.trigger()
    _wait_playing(qtbot, window, seed)
    qtbot.waitUntil(lambda: len(window.player.queue) >= 3, timeout=5000)
    queue = window.player.queue
    assert all(e.source == "radio" for e in queue)
    rock = {t["id"] for t in scanned.tracks() if genre_bucket(t["genre"]) == "rock"}
    assert {e.track_id for e in queue[:3]} == rock - {seed}    # the rest of the genre first
    assert seed not in {e.track_id for e in queue}
    assert window.up_next.keep_going.isChecked() and window.player.keep_going
    # The seed is the person's pick, logged as theirs; what the station plays is Segue's.
    qtbot.waitUntil(lambda: any(p["track_id"] == seed for p in scanned.plays()), timeout=5000)
    assert [p["source"] for p in scanned.plays() if p["track_id"] == seed] == ["library"]
    qtbot.waitUntil(lambda: any(p["source"] == "radio" for p in scanned.plays()), timeout=10000)


def test_starting_a_radio_does_not_wait_for_the_players_lock(qtbot, scanned, make_window):
    # What the session heard and passed over is read under the player's lock, which a
    # command holds through a database write or an engine stop: the window read it when
    # the radio was asked for, and waited for the command.
    import threading

    window = make_window(scanned)
    first, seed = (window.model.track_id(_row_of_title(window, t)) for t in ("Stone Road", "Pebble Song"))
    window.play_ids([first], 0, "search")
    _wait_playing(qtbot, window, first)
    taken, release, waited = threading.Event(), threading.Event(), []

    def hold():
        with window.player._lock:
            taken.set()
            if not release.wait(10):
                waited.append(True)     # nothing let it go: the window waited for the lock

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(5)
        window.start_radio(seed)
        assert not waited
    finally:
        release.set()
        holder.join()
    qtbot.waitUntil(lambda: window.player.current_track_id == seed and len(window.player.queue) >= 3, timeout=10000)
    assert all(e.source == "radio" for e in window.player.queue)
    assert not {first, seed} & {e.track_id for e in window.player.queue}    # heard this session: left out


def test_radio_from_the_song_now_playing_goes_on_with_it_and_logs_no_skip(qtbot, scanned, make_window):
    from player.audio.base import PlaybackState

    window = make_window(scanned)
    seed = window.model.track_id(_row_of_title(window, "Stone Road"))
    window.play_ids([seed], 0, "search")
    _wait_playing(qtbot, window, seed)
    window._command(lambda p: p.pause())      # paused: it cannot end before the station is there
    qtbot.waitUntil(lambda: window.player.state is PlaybackState.PAUSED, timeout=5000)
    position = window.player.position
    window.radio_from_current()
    qtbot.waitUntil(lambda: len(window.player.queue) >= 3, timeout=5000)
    assert all(e.source == "radio" for e in window.player.queue)
    qtbot.waitUntil(lambda: window.player.state is PlaybackState.PLAYING, timeout=5000)
    assert window.player.current_track_id == seed and window.player.position >= position
    # One play of the seed, still going and still the person's own; nothing skipped.
    plays = [p for p in scanned.plays() if p["track_id"] == seed]
    assert len(plays) == 1 and plays[0]["source"] == "search" and plays[0]["ended"] in ("playing", "finished")
    assert window.player.early_skips == []


def test_the_playback_menu_offers_radio_only_with_a_song_to_start_it_from(qtbot, scanned, make_window):
    # With nothing playing (the first start, or after Stop) "Start radio from this song" was
    # there to pick, as the bar's Radio button beside it was not, and did nothing: no station,
    # no word of why.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.player is not None, timeout=10000)
    menu = window.playback_menu
    radio = next(a for a in menu.actions() if a.text() == "Start radio from this song")

    def offered() -> bool:
        menu.popup(window.mapToGlobal(QPoint(0, 0)))      # as it opens, the menu looks at the song
        menu.hide()
        return radio.isEnabled()

    assert not window.transport.radio_btn.isEnabled() and not offered()
    seed = window.model.track_id(_row_of_title(window, "Stone Road"))
    window.play_ids([seed], 0)
    qtbot.waitUntil(lambda: window.shown_track_id() == seed and window.transport.radio_btn.isEnabled(), timeout=10000)
    assert offered()
    window.stop()
    qtbot.waitUntil(lambda: not window.transport.radio_btn.isEnabled(), timeout=5000)
    assert not offered()


def test_reordering_up_next_by_drag_and_drop(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(4)]
    window.enqueue(ids)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids, timeout=5000)
    view, rows = window.up_next.list, window.up_next.rows
    # Drag the first entry and drop it on the lower half of the third.
    mime = rows.mimeData([rows.index(0)])
    rect = view.visualRect(rows.index(2))
    drop = QDropEvent(QPointF(rect.center().x(), rect.bottom() - 1), Qt.MoveAction, mime,
                      Qt.LeftButton, Qt.NoModifier, QEvent.Drop)
    view.dropEvent(drop)
    expected = [ids[1], ids[2], ids[0], ids[3]]
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue] == expected, timeout=5000)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == expected, timeout=5000)
    # A drop that does not come from this list is refused.
    from PySide6.QtCore import QMimeData

    other = QMimeData()          # kept referenced: the event does not own it
    other.setText("from another application")
    foreign = QDropEvent(QPointF(rect.center()), Qt.MoveAction, other, Qt.LeftButton,
                         Qt.NoModifier, QEvent.Drop)
    view.dropEvent(foreign)
    assert not foreign.isAccepted()
    # Activating an entry plays it now; the ones before it stay queued.
    view.activated.emit(rows.index(2))
    qtbot.waitUntil(lambda: window.player.current_track_id == expected[2], timeout=5000)
    expected = [expected[0], expected[1], expected[3]]
    qtbot.waitUntil(lambda: window.up_next.track_ids() == expected, timeout=5000)
    # Delete removes the selected entry; Clear empties the queue.
    view.setCurrentIndex(rows.index(0))
    qtbot.keyClick(window.up_next, Qt.Key_Delete)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == expected[1:], timeout=5000)
    window.up_next.clear_btn.click()
    qtbot.waitUntil(lambda: window.player.queue == [] and window.up_next.track_ids() == [], timeout=5000)
    assert window.up_next.empty_hint.isVisibleTo(window.up_next)


def test_a_drag_moves_what_was_dragged_even_if_the_queue_moved_on(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(5)]
    window.enqueue(ids)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids, timeout=5000)
    view, rows = window.up_next.list, window.up_next.rows
    mime = rows.mimeData([rows.index(3), rows.index(0)])   # two rows dragged together
    # While the drag is under way the queue moves on (the entry in row 1 is taken) and the
    # rows are rebuilt: row numbers from the drag start would now name other entries.
    window.player.remove_queue_entries([window.player.queue[1]])
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [ids[0], ids[2], ids[3], ids[4]], timeout=5000)
    rect = view.visualRect(rows.index(3))                 # ids[4], upper half: before it
    drop = QDropEvent(QPointF(rect.center().x(), rect.top() + 1), Qt.MoveAction, mime,
                      Qt.LeftButton, Qt.NoModifier, QEvent.Drop)
    view.dropEvent(drop)
    assert drop.isAccepted()
    expected = [ids[2], ids[0], ids[3], ids[4]]           # the block keeps its order, lands before ids[4]
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue] == expected, timeout=5000)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == expected, timeout=5000)
    stale = QDropEvent(QPointF(rect.center()), Qt.MoveAction, mime, Qt.LeftButton, Qt.NoModifier, QEvent.Drop)
    view.dropEvent(stale)                                 # the same drag dropped twice: refused
    assert not stale.isAccepted()


def test_keep_it_going_fills_from_the_library(qtbot, scanned, make_window):
    window = make_window(scanned)
    first = window.model.track_id(0)
    window.play_ids([first], 0, "library")
    _wait_playing(qtbot, window, first)
    window.up_next.keep_going.setChecked(True)
    qtbot.waitUntil(lambda: len(window.player.queue) >= 3, timeout=5000)
    queue = window.player.queue
    assert all(e.source == "up_next" for e in queue) and first not in {e.track_id for e in queue}
    assert [e.track_id for e in queue[:3]] == [window.model.track_id(r) for r in (1, 2, 3)]


def test_clear_with_keep_it_going_on_brings_other_songs(qtbot, store, tmp_path, make_window):
    # It brought back the same songs, in the same order, a moment later: Clear looked broken.
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    for i in range(24):
        write_track(tmp_path / "many", f"s{i:02d}", seconds=1.0, freq=200.0 + 15 * i,
                    tags={"title": f"Song {i:02d}", "artist": f"Band {i % 6}", "genre": "Rock"})
    Scanner(store).scan([str(tmp_path / "many")])
    window = make_window(store)
    first = window.model.track_id(0)
    window.play_ids([first], 0, "library")
    _wait_playing(qtbot, window, first)
    window.pause()
    window.up_next.keep_going.setChecked(True)
    qtbot.waitUntil(lambda: len(window.player.queue) >= 5, timeout=5000)
    # (the button is enabled once the panel shows the queue, a moment after the player has it:
    # clicked before, it did nothing)
    qtbot.waitUntil(window.up_next.clear_btn.isEnabled, timeout=5000)
    before = {e.track_id for e in window.player.queue}
    window.up_next.clear_btn.click()
    qtbot.waitUntil(lambda: bool(window.player.passed_over), timeout=5000)
    qtbot.waitUntil(lambda: len(window.player.queue) >= 5, timeout=5000)
    after = {e.track_id for e in window.player.queue}
    assert not after & before and first not in after
    assert all(e.source == "up_next" for e in window.player.queue)


def test_discover_rows_play_a_bucket(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    assert [r.bucket for r in window.discover.rows] == ["rock", "jazz", "folk"]
    jazz = window.discover.rows[1]
    assert jazz.list.count() == 3
    jazz.play_btn.click()
    _wait_playing(qtbot, window, jazz.ids[0])
    qtbot.waitUntil(lambda: any(p["source"] == "discover" for p in scanned.plays()), timeout=5000)
    assert [e.track_id for e in window.player.queue] == jazz.ids[1:]


def _menu_action(panel, rect, text: str):
    """The action ``text`` of the context menu that ``panel`` opens on the row drawn in ``rect``."""
    panel._menu(rect.center())
    action = next(a for a in panel.last_menu.actions() if a.text() == text)
    panel.last_menu.close()
    return action


def test_radio_from_a_discover_tile_or_an_up_next_entry_logs_its_seed_as_playing_it_would(
        qtbot, scanned, make_window):
    # Playing a Discover tile logs "discover", playing an Up next suggestion "up_next":
    # the same choice made through "Start radio from this song" is logged the same way.
    window = make_window(scanned)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
    jazz = window.discover.rows[1]
    seed = jazz.ids[1]
    _menu_action(jazz, jazz.list.visualItemRect(jazz.list.item(1)), "Start radio from this song").trigger()
    _wait_playing(qtbot, window, seed)
    qtbot.waitUntil(lambda: len(window.player.queue) >= 3, timeout=5000)
    view, rows = window.up_next.list, window.up_next.rows
    qtbot.waitUntil(lambda: rows.rowCount() >= 3, timeout=5000)
    entry = rows.index(1).data(ENTRY_ROLE)
    assert entry.source == "radio"
    second = entry.track_id
    _menu_action(window.up_next, view.visualRect(rows.index(1)), "Start radio from this song").trigger()
    _wait_playing(qtbot, window, second)
    qtbot.waitUntil(lambda: any(p["track_id"] == second for p in scanned.plays()), timeout=5000)
    logged = [(p["track_id"], p["source"]) for p in scanned.plays()]
    assert logged[:2] == [(seed, "discover"), (second, "radio")]
    # From the library the seed is still the person's own pick.
    library_seed = next(t for t in map(window.model.track_id, range(window.model.rowCount()))
                        if t not in (seed, second))
    window.start_radio(library_seed)
    _wait_playing(qtbot, window, library_seed)
    qtbot.waitUntil(lambda: any(p["track_id"] == library_seed for p in scanned.plays()), timeout=5000)
    assert [p["source"] for p in scanned.plays() if p["track_id"] == library_seed][-1] == "library"


def test_keyboard_space_ctrl_f_and_next(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.activateWindow()
    window.library.table.setFocus()
    window.library.table.selectRow(0)
    first = window.model.track_id(0)
    window.act_play.trigger()                   # what Space triggers
    _wait_playing(qtbot, window, first)
    from player.audio.base import PlaybackState

    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PLAYING, timeout=5000)
    assert window.act_play.shortcut().toString() == "Space"
    window.act_play.trigger()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
    window.next_track()
    qtbot.waitUntil(lambda: window.player.current_track_id == window.model.track_id(1), timeout=5000)
    window.library_search()
    assert window.library.search.hasFocus() or window.focusWidget() is window.library.search


def test_tab_leaves_the_library_table_and_shift_tab_comes_back(qtbot, scanned, make_window):
    from PySide6.QtWidgets import QApplication

    window = make_window(scanned)
    window.activateWindow()
    table = window.library.table
    table.setFocus()
    table.selectRow(2)
    qtbot.waitUntil(table.hasFocus, timeout=2000)
    qtbot.keyClick(table, Qt.Key_Tab)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not table, timeout=2000)
    assert table.currentIndex().row() == 2                 # the cursor stayed on its row, the focus moved on
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Backtab, Qt.ShiftModifier)
    qtbot.waitUntil(table.hasFocus, timeout=2000)


def test_skips_inside_a_station_are_remembered_and_seek_moves(qtbot, scanned, make_window):
    window = make_window(scanned)
    seed = window.model.track_id(_row_of_title(window, "Blue Smoke"))
    window.start_radio(seed)
    _wait_playing(qtbot, window, seed)
    qtbot.waitUntil(lambda: len(window.player.queue) >= 1, timeout=5000)
    window.transport.seek.emit(1.5)                 # what releasing the seek slider sends
    qtbot.waitUntil(lambda: window.player.position >= 1.4, timeout=5000)
    assert not any(e.manual for e in window.player.queue)   # a station's picks: a skip may re-rank them
    window.next_track()                             # skipping the seed inside the station
    qtbot.waitUntil(lambda: window.station is not None and window.station.skipped(window.player) == [seed],
                    timeout=5000)
    window.play_ids([seed], 0, "library")           # playing from the library ends the station
    assert window.station is None



def _stations_given(window) -> list[list[int]]:
    """The songs each station asked of the window's provider is told of (``exclude``), in the
    order given, as it asks."""
    given = []
    radio = window.provider.radio

    def recorded(seed, k, **kw):
        given.append(list(kw["exclude"]))
        return radio(seed, k, **kw)
    window.provider.radio = recorded
    return given

def test_a_station_started_after_other_songs_is_given_them_in_the_order_heard_the_seed_last(
        qtbot, scanned, make_window):
    # The recommender spaces a station's artists after the tail of what it is given, and
    # counts the station's own songs from the seed: the session's songs went as a set, in
    # any order, and a station started after a few songs spaced itself after one of them.
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in (4, 1, 3)]
    window.play_ids(ids, 0, "library")
    for t in ids[1:]:
        _wait_playing(qtbot, window, ids[ids.index(t) - 1])
        window.next_track()
    _wait_playing(qtbot, window, ids[-1])
    given = _stations_given(window)
    seed = window.model.track_id(2)
    window.start_radio(seed)
    _wait_playing(qtbot, window, seed)
    assert given[0] == ids + [seed]


def test_a_station_leaves_out_the_songs_queued_by_hand_that_play_before_it(qtbot, scanned, make_window):
    # The songs queued by hand stay first when a station starts, and play before its
    # songs: its first batch was not told of them, and might bring one a second time.
    window = make_window(scanned)
    seed, mine = (window.model.track_id(_row_of_title(window, t)) for t in ("Blue Smoke", "Brushes"))
    first = window.model.track_id(_row_of_title(window, "River Song"))
    window.play_ids([first], 0, "library")
    window.enqueue([mine])
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [mine], timeout=5000)
    given = _stations_given(window)
    window.start_radio(seed)
    _wait_playing(qtbot, window, seed)
    assert given[0] == [first, seed, mine]
    assert [e.track_id for e in window.player.queue].count(mine) == 1


def test_up_next_rows_act_on_the_entries_shown_even_if_the_queue_shifted(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(5)]
    window.enqueue(ids)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids, timeout=5000)
    window.player._queue.pop_front()  # taken by a hand-over whose queue_changed has not arrived yet
    view, rows = window.up_next.list, window.up_next.rows
    view.activated.emit(rows.index(2))
    qtbot.waitUntil(lambda: window.player.current_track_id is not None, timeout=5000)
    assert window.player.current_track_id == ids[2]  # the row clicked, not the one now at index 2
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [ids[1], ids[3], ids[4]], timeout=5000)
    view.setCurrentIndex(rows.index(1))
    qtbot.keyClick(window.up_next, Qt.Key_Delete)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [ids[1], ids[4]], timeout=5000)


def _discover_in_view(panel) -> list[tuple[str, list[int], list[str], int]]:
    """What the Discover panel shows in its viewport, top down: each row's bucket (its
    title label shows it as a heading), track ids, tile titles and width."""
    from player.ui.discover_panel import BucketRow

    view = panel.viewport()
    shown = []
    for row in panel.findChildren(BucketRow):
        top = row.mapTo(view, QPoint(0, 0)).y()
        if row.isVisible() and top < view.height() and top + row.height() > 0:
            titles = [row.list.item(i).text() for i in range(row.list.count())]
            assert row.findChild(QLabel, "bucketTitle").text() == genre_title(row.bucket)
            shown.append((top, row.bucket, row.ids, titles, row.width()))
    shown.sort()
    tops = [s[0] for s in shown]
    assert tops == sorted(set(tops))                          # one row per place, none on another
    return [s[1:] for s in shown]


def _scroll_through(qtbot, panel):
    """Scroll the Discover panel from its top to its end a page at a time; yields what each
    page shows (see :func:`_discover_in_view`), checking that its rows are as wide as the
    panel and that there are row widgets only for them (and one either side)."""
    from player.ui.discover_panel import BucketRow

    bar = panel.verticalScrollBar()
    bar.setValue(0)
    while True:
        qtbot.wait(1)
        qtbot.waitUntil(panel.is_filled, timeout=5000)      # row widgets are made a turn each
        shown = _discover_in_view(panel)
        for row in shown:
            assert row[3] == panel.viewport().width() - 24     # the panel's width less its margins
            yield row
        assert len([r for r in panel.findChildren(BucketRow) if r.isVisible()]) <= len(shown) + 4
        if bar.value() == bar.maximum():
            return
        bar.setValue(bar.value() + panel.viewport().height() - 10)


def test_a_discover_refresh_fills_the_rows_in_place_and_keeps_the_panel_where_it_was(qtbot):
    from player.ui.discover_panel import DiscoverPanel

    panel = DiscoverPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 300)
    panel.show()

    def rows(genres, first):
        return {g: [(first + 10 * i + j, f"{g} song {j}", "band", "why") for j in range(4)]
                for i, g in enumerate(genres)}
    genres = [f"Genre {i}" for i in range(12)]
    panel.set_rows(rows(genres, 0))
    qtbot.waitUntil(lambda: panel.verticalScrollBar().maximum() > 0, timeout=5000)
    panel.verticalScrollBar().setValue(400)
    qtbot.wait(50)
    before = _discover_in_view(panel)
    assert before and before[0][0] != "Genre 0"
    # Refresh: other tracks, one genre gone, one new between the others.
    again = genres[:5] + ["Polka"] + genres[6:]
    panel.set_rows(rows(again, 1000))
    qtbot.wait(50)
    assert panel.verticalScrollBar().value() == 400
    now = _discover_in_view(panel)
    assert [bucket for bucket, *_ in now] == [again[genres.index(bucket)] for bucket, *_ in before]  # in place
    for bucket, ids, titles, _ in now:
        i = again.index(bucket)
        assert ids == [1000 + 10 * i + j for j in range(4)] and titles == [f"{bucket} song {j}" for j in range(4)]
    assert "Genre 5" not in [bucket for bucket, *_ in now]
    k = again.index(panel.rows[0].bucket)
    assert [r.bucket for r in panel.rows] == again[k:k + len(panel.rows)]
    panel.verticalScrollBar().setValue(0)
    qtbot.wait(50)
    assert _discover_in_view(panel)[0][:2] == ("Genre 0", [1000, 1001, 1002, 1003])


def test_a_thousand_genres_make_widgets_only_for_the_rows_in_view(qtbot):
    # A library with a thousand genre tags has a thousand rows: as a thousand row widgets,
    # every resize of the window laid them all out again and every switch to the tab showed
    # them all. Only the rows in view are widgets; every row is still there to scroll to,
    # in order, with its own tracks.
    from player.ui.discover_panel import BucketRow, DiscoverPanel

    panel = DiscoverPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    genres = [f"tag {i}" for i in range(1000)]
    rows = {g: [(10 * i + j, f"{g} song {j}", "band", "why") for j in range(3)] for i, g in enumerate(genres)}
    panel.set_rows(rows)
    qtbot.waitUntil(lambda: len(panel.buckets) == len(genres), timeout=60000)
    assert [b for b, _ in panel.buckets] == genres
    seen: list[str] = []
    for width in (600, 900, 450):
        panel.resize(width, 400)
        qtbot.wait(20)
        for bucket, ids, titles, row_width in _scroll_through(qtbot, panel):
            i = genres.index(bucket)
            assert ids == [10 * i + j for j in range(3)] and titles == [f"{bucket} song {j}" for j in range(3)]
            if bucket not in seen:
                seen.append(bucket)
        assert seen == genres                                  # every row, in order, none twice
        seen.clear()
    # Fewer genres, arriving while the panel is hidden: shown once it shows.
    panel.hide()
    panel.set_rows({g: rows[g] for g in genres[:3]})
    panel.show()
    qtbot.waitUntil(lambda: [b for b, *_ in _discover_in_view(panel)] == genres[:3], timeout=5000)
    qtbot.waitUntil(lambda: len(panel.findChildren(BucketRow)) == 3, timeout=5000)
    assert [r.bucket for r in panel.rows] == genres[:3]


def test_discover_in_the_window_shows_every_row_of_a_big_library(qtbot, store, make_window):
    # A generated library whose albums carry 200 genre values: the tab shows the plain
    # recommender's rows (20 genres, and one of the others), every one of them in its order
    # with its own tracks, before and after the window is resized.
    import random

    from benchmarks.library_gen import library_rows
    from player.recommendations import LibraryRecommendations
    from player.ui.library_tasks import DISCOVER_PER_BUCKET

    rows = library_rows(3000, seed=5)
    rng = random.Random(5)
    albums: dict = {}
    for r in rows:
        r["genre"] = albums.setdefault((r["artist"], r["album"]), f"Style {len(albums) % 200:03d}")
        r["duration"] = rng.uniform(150, 300)
    store.upsert_tracks(rows)
    expected = {b: [rec.track_id for rec in recs]
                for b, recs in LibraryRecommendations(store).discover(DISCOVER_PER_BUCKET).items() if recs}
    assert len(expected) == 21
    window = make_window(store, with_player=False)
    panel = window.discover
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: len(panel.buckets) == len(expected), timeout=20000)
    assert [b for b, _ in panel.buckets] == list(expected)
    for size in ((1280, 780), (900, 600)):
        window.resize(*size)
        seen = []
        for bucket, ids, titles, _ in _scroll_through(qtbot, panel):
            assert ids == expected[bucket]
            assert titles == [store.track(t)["title"] for t in ids]
            if bucket not in seen:
                seen.append(bucket)
        assert seen == list(expected)



def test_switching_to_discover_while_its_rows_are_read_reads_them_once_more_not_once_a_switch(
        qtbot, scanned, make_window, monkeypatch):
    # Every switch to the tab asks for Discover's rows, a second or two of work each in a
    # big library; quick switches queued one read per switch behind each other.
    import threading

    from player.ui import library_tasks

    reads, first_read, go_on = [], threading.Event(), threading.Event()
    read = library_tasks.discover_rows

    def held(provider, store, today=None):
        reads.append(1)
        first_read.set()
        assert go_on.wait(10)
        return read(provider, store, today)

    monkeypatch.setattr(library_tasks, "discover_rows", held)
    window = make_window(scanned)
    window.tabs.setCurrentWidget(window.discover)
    assert first_read.wait(10)
    for _ in range(10):
        window.tabs.setCurrentIndex(0)
        window.tabs.setCurrentWidget(window.discover)
    go_on.set()
    qtbot.waitUntil(lambda: len(reads) >= 2, timeout=10000)
    qtbot.wait(500)
    assert len(reads) == 2                          # the one running, and one after it
    assert [r.bucket for r in window.discover.rows] == ["rock", "jazz", "folk"]

def test_discover_rows_name_a_big_librarys_tracks_in_a_few_reads(store):
    # Discover's worker job names every track it shows: at 200 genre values that is some
    # 300 tracks (20 genres' rows and one of the others), read in a handful of queries
    # rather than one each, and the rows are the ones a read per track gives.
    from benchmarks.library_gen import library_rows
    from player.library.names import Namer
    from player.recommendations import LibraryRecommendations
    from player.ui.library_tasks import DISCOVER_PER_BUCKET, discover_rows

    rows = library_rows(3000, seed=5)
    albums: dict = {}
    for r in rows:
        r["genre"] = albums.setdefault((r["artist"], r["album"]), f"Style {len(albums) % 200:03d}")
    store.upsert_tracks(rows)
    provider = LibraryRecommendations(store)
    untagged = next(iter(provider.discover(DISCOVER_PER_BUCKET).values()))[0].track_id
    with store.transaction() as conn:       # a tile named after its file
        conn.execute("UPDATE tracks SET title = NULL, artist = NULL WHERE id = ?", (untagged,))
    namer = Namer.of(store)
    expected = {}
    for bucket, recs in provider.discover(DISCOVER_PER_BUCKET).items():
        names = [(rec, namer(store.track(rec.track_id))) for rec in recs]
        expected[bucket] = [(rec.track_id, n.title, n.artist, rec.reason) for rec, n in names]
    tiles = sum(map(len, expected.values()))
    assert len(expected) == 21 and tiles > 280
    statements = []
    store.conn.set_trace_callback(statements.append)
    try:
        got = discover_rows(provider, store)
    finally:
        store.conn.set_trace_callback(None)
    assert got == expected
    assert any(untagged in [e[0] for e in entries] for entries in got.values())
    assert len(statements) < 50, f"{len(statements)} queries for {tiles} tracks"


def test_a_moved_song_queued_during_a_rescan_and_played_before_it_ends_is_logged_on_its_track(
        qtbot, scanned, make_window, monkeypatch, tmp_path):
    # The window shows a moved file as a new track while the rescan runs; the person queues
    # it; the scan folds that row into the old track and, before it ends, the song starts.
    # It must play and be logged on its old track, whose history it is.
    import shutil

    from tests.scan_hold import hold_scan

    store = scanned
    song = tmp_path / "music" / "Rock" / "r1.wav"
    old_id = store.track_by_path(str(song))["id"]
    store.end_play(store.start_play(old_id), "finished", 3000)
    (tmp_path / "music" / "Moved").mkdir()
    shutil.move(song, tmp_path / "music" / "Moved" / "r1.wav")
    at_merge, merge, merged, finish = hold_scan(monkeypatch, report=True)   # the window shows the new row
    window = make_window(store)
    window._scan_timer.setInterval(1)
    model = window.model

    def new_row():
        ids = [model.track_id(r) for r in range(model.rowCount()) if model.index(r, 1).data() == "Stone Road"]
        return next((t for t in ids if t != old_id), None)

    try:
        window.rescan()
        qtbot.waitUntil(lambda: at_merge.is_set() and new_row() is not None, timeout=10000)
        new_id = new_row()
        window.enqueue([new_id])
        qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue] == [new_id], timeout=5000)
        merge.set()
        qtbot.waitUntil(merged.is_set, timeout=10000)
        assert store.track(new_id) is None
        window.next_track()                                    # Up next's song starts, the scan still running
        qtbot.waitUntil(lambda: len(store.plays()) == 2, timeout=10000)
        assert window._scan is not None
        assert [p["track_id"] for p in store.plays()] == [old_id, old_id]
        qtbot.waitUntil(lambda: window.transport.title.text() == "Stone Road", timeout=5000)
    finally:
        merge.set()
        finish.set()
    qtbot.waitUntil(lambda: window._scan is None, timeout=20000)
    assert window.player.current_track_id == old_id


def test_read_tags_again_from_the_library_menu_shows_the_new_tags_everywhere(qtbot, scanned, music, make_window):
    # Tags changed where no time of the file tells (Windows, a tool that sets every time back):
    # the person selects the tracks and reads them again. The files are read on the write
    # thread; the table, the song playing and Discover show the new tags; a file that cannot
    # be read now keeps its track and is named.
    import contextlib
    import os
    import threading

    from PySide6.QtCore import QItemSelectionModel

    from tests.audiogen import write_tags

    window = make_window(scanned)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=10000)
    bass = scanned.track_by_path(str(music / "Jazz" / "j3.wav"))            # "Walking Bass"
    window.play_ids([bass["id"]], 0, "library")
    qtbot.waitUntil(lambda: window.transport.title.text() == "Walking Bass", timeout=10000)
    write_tags(music / "Jazz" / "j3.wav", title="Walking Bass (Take 2)", artist="Trio Azul")
    broken = music / "Folk" / "f1.flac"                                     # "River Song"
    broken.write_bytes(os.urandom(2048))

    writers = []
    real = scanned.transaction

    @contextlib.contextmanager
    def recording():
        writers.append(threading.current_thread() is threading.main_thread())
        with real() as conn:
            yield conn

    scanned.transaction = recording
    window.tabs.setCurrentWidget(window.library)
    table, chosen = window.library.table, ("Walking Bass", "Blue Smoke", "River Song")
    for title in chosen:
        table.selectionModel().select(window.model.index(_row_of_title(window, title), 1),
                                      QItemSelectionModel.Select | QItemSelectionModel.Rows)
    window.library._menu(table.visualRect(window.model.index(_row_of_title(window, "Blue Smoke"), 1)).center())
    action = next(a for a in window.library.last_menu.actions() if a.text() == "Read tags again")
    window.library.last_menu.close()
    with qtbot.waitSignal(window.tags_read_again, timeout=20000) as done:
        action.trigger()
    assert (done.args[0].read, done.args[0].same, done.args[0].errors) == (2, 1, 1)
    assert writers and not any(writers)                     # written on the write thread, not the window's
    message = window.statusBar().currentMessage()
    assert message.startswith("Read the tags of 3 tracks again: 1 changed, 1 could not be read, kept as it was: "
                              f"{broken} ("), message
    assert window.tasks.running() == []
    qtbot.waitUntil(lambda: _row_of_title(window, "Walking Bass (Take 2)") is not None, timeout=10000)
    assert _row_of_title(window, "River Song") is not None  # its track kept, as it was
    qtbot.waitUntil(lambda: window.transport.title.text() == "Walking Bass (Take 2)", timeout=5000)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: [e[1] for _bucket, entries in window.discover.buckets for e in entries
                             if e[0] == bass["id"]] in ([], ["Walking Bass (Take 2)"]), timeout=10000)
    assert "Walking Bass" not in [e[1] for _bucket, entries in window.discover.buckets for e in entries]


def test_read_tags_again_from_the_file_menu_acts_on_the_librarys_selection(qtbot, scanned, music, make_window):
    from tests.audiogen import write_tags

    window = make_window(scanned, with_player=False)
    window.act_read_again.trigger()                         # nothing selected yet: it says so
    assert "Select the tracks" in window.statusBar().currentMessage()
    write_tags(music / "Rock" / "r2.flac", title="Pebble Song (Demo)")
    window.library.table.selectRow(_row_of_title(window, "Pebble Song"))
    with qtbot.waitSignal(window.tags_read_again, timeout=20000):
        window.act_read_again.trigger()
    assert window.statusBar().currentMessage() == "Read the tags of 1 track again: 1 changed"
    qtbot.waitUntil(lambda: "Pebble Song (Demo)" in {window.model.index(r, 1).data()
                                                     for r in range(window.model.rowCount())}, timeout=10000)


def test_read_tags_again_asked_twice_shows_each_read_until_it_ends(qtbot, scanned, music, make_window):
    # Other tracks selected and read again while the first read runs: each read is a task of
    # its own, and the first to end leaves the other shown among the running tasks.
    window = make_window(scanned, with_player=False)
    def reads():
        return [key for key in window.tasks.running() if window.tasks.text(key) == "Reading tags again"]

    seen = []
    window.tags_read_again.connect(lambda result: seen.append(reads()))
    window.read_tags_again([scanned.track_by_path(str(music / "Rock" / "r2.flac"))["id"]])
    window.read_tags_again([scanned.track_by_path(str(music / "Jazz" / "j3.wav"))["id"]])
    assert len(reads()) == 2
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=20000)
    assert len(seen[0]) == 1 and seen[1] == []
